"""E-mail to learners: each institution's SMTP server, and the claim-link mails the worker sends."""
