"""The interactive API documentation (Swagger UI), served with its assets by Stapel itself."""
