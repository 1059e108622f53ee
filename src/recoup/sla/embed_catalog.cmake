# Generates catalog_data.cc holding data/sla_catalog.json as a string.
file(READ "${INPUT}" CONTENT)
file(WRITE "${OUTPUT}" "// Generated from data/sla_catalog.json. Do not edit.\nnamespace recoup::sla {\nextern const char* const kDefaultCatalogJson;\nconst char* const kDefaultCatalogJson = R\"RECOUPJSON(${CONTENT})RECOUPJSON\";\n}  // namespace recoup::sla\n")
