"""What every HTTP answer of the API process carries, whichever package made it."""
