#include "recoup/sla/scopes.h"

namespace recoup::sla {

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative with one backtrack point: linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view ResourceName(std::string_view resource) {
  constexpr std::string_view kS3 = ":s3:::";
  if (resource.substr(0, 4) == "arn:") {
    if (const size_t s3 = resource.find(kS3); s3 != std::string_view::npos) {
      std::string_view rest = resource.substr(s3 + kS3.size());
      return rest.substr(0, rest.find('/'));
    }
    if (resource.find(":dynamodb:") != std::string_view::npos) {
      const size_t table = resource.find(":table/");
      if (table != std::string_view::npos) {
        std::string_view rest = resource.substr(table + 7);
        return rest.substr(0, rest.find('/'));
      }
    }
  }
  return resource;
}

Status ScopeMap::Add(const Catalog& catalog, std::string_view rule, const std::string& origin) {
  const size_t eq = rule.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgument(origin + ": '" + std::string(rule.substr(0, 64)) +
                           "': want SERVICE.SCOPE=PATTERN (e.g. s3.infrequent_access=archive-*)");
  }
  const std::string series(rule.substr(0, eq));
  const std::string_view pattern = rule.substr(eq + 1);
  const ServiceTerms* t = catalog.Find(series);
  if (t == nullptr || t->base == t->key) {
    std::string known;
    for (const ServiceTerms& s : catalog.scoped()) known += (known.empty() ? "" : ", ") + s.key;
    return InvalidArgument(origin + ": '" + series.substr(0, 64) +
                           "' is not a sub-scope of an SLA in the catalog (known: " +
                           (known.empty() ? std::string("none") : known) + ")");
  }
  if (pattern.empty() || pattern.size() > 256) {
    return InvalidArgument(origin + ": the pattern of '" + series +
                           "' is empty or longer than 256 characters");
  }
  for (char c : pattern) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgument(origin + ": the pattern of '" + series +
                             "' holds a control character");
    }
  }
  rules_.push_back({t->base, t->key, std::string(pattern)});
  return Status::Ok();
}

std::string_view ScopeMap::SeriesOf(std::string_view service, std::string_view resource) const {
  if (resource.empty()) return {};
  const std::string_view name = ResourceName(resource);
  for (const Rule& r : rules_) {
    if (r.base != service) continue;
    if (GlobMatch(r.pattern, resource) || (name != resource && GlobMatch(r.pattern, name))) {
      return r.series;
    }
  }
  return {};
}

std::vector<std::string> ScopeMap::ToStrings() const {
  std::vector<std::string> out;
  for (const Rule& r : rules_) out.push_back(r.series + "=" + r.pattern);
  return out;
}

}  // namespace recoup::sla
