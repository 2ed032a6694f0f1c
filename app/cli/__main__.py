"""`python -m app.cli`, as the tests and the benchmark start servers and workers."""

from app.cli import main

main()
