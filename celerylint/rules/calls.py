"""Task definitions and call sites: CL801, CL802, CL803, CL804."""
