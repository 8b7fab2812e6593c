"""Pure data and functions: the catalogue, the access model and its translations, listeners, ARNs, JAAS, names."""
