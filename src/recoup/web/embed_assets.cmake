# Generates a C++ file holding the dashboard's static files as byte arrays.
#   cmake -DOUTPUT=assets_data.cc -DFILES="name=path;name=path;..." -P embed_assets.cmake
set(table "")
set(arrays "")
set(i 0)
foreach(pair IN LISTS FILES)
  string(FIND "${pair}" "=" eq)
  string(SUBSTRING "${pair}" 0 ${eq} name)
  math(EXPR from "${eq} + 1")
  string(SUBSTRING "${pair}" ${from} -1 path)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR size "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  if(name MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(name MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(name MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(name MATCHES "\\.svg$")
    set(type "image/svg+xml")
  else()
    set(type "application/octet-stream")
  endif()
  string(APPEND arrays "const char kAsset${i}[] = {${bytes} 0};\n")
  string(APPEND table "    {\"${name}\", \"${type}\", kAsset${i}, ${size}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from web/ by embed_assets.cmake. Do not edit.
#include <string_view>

#include \"recoup/web/assets.h\"

namespace recoup::web {
namespace {
${arrays}
const Asset kAssets[] = {
${table}};
}  // namespace

const Asset* FindAsset(std::string_view name) {
  for (const Asset& a : kAssets) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

}  // namespace recoup::web
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
