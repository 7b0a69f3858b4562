"""Running the mock on a production server (granian or waitress) with an access log."""
