"""Settings hygiene: CL901, CL902, CL903."""
