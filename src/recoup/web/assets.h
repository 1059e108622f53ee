// The dashboard's static files (web/), compiled into the binary so the page
// works offline: generated at build time by embed_assets.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace recoup::web {

struct Asset {
  const char* name;  // "index.html", "app.js", "uPlot.iife.min.js", ...
  const char* content_type;
  const char* data;
  size_t size;
};

// nullptr if there is no such asset.
const Asset* FindAsset(std::string_view name);

}  // namespace recoup::web
