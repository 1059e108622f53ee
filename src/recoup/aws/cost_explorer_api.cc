#include "recoup/aws/cost_explorer_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

namespace {

using nlohmann::json;

std::map<std::string, CostAmount> Metrics(const json& j) {
  std::map<std::string, CostAmount> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out[it.key()] = {.amount = JsonString(it.value(), "Amount"),
                     .unit = JsonString(it.value(), "Unit")};
  }
  return out;
}

}  // namespace

Result<std::vector<CostRow>> CostExplorerApi::GetCostAndUsage(const CostAndUsageInput& input) {
  if (input.start.empty() || input.end.empty() || input.metrics.empty()) {
    return InvalidArgument("GetCostAndUsage: start, end and at least one metric are required");
  }
  json in = {{"TimePeriod", {{"Start", input.start}, {"End", input.end}}},
             {"Granularity", input.granularity},
             {"Metrics", input.metrics}};
  if (!input.group_by.empty()) {
    json groups = json::array();
    for (const auto& g : input.group_by) groups.push_back({{"Type", "DIMENSION"}, {"Key", g}});
    in["GroupBy"] = std::move(groups);
  }
  if (!input.dimensions.empty()) {
    json parts = json::array();
    for (const auto& [key, values] : input.dimensions) {
      parts.push_back({{"Dimensions", {{"Key", key}, {"Values", values}}}});
    }
    in["Filter"] = parts.size() == 1 ? parts[0] : json{{"And", parts}};
  }
  std::vector<CostRow> rows;
  RECOUP_RETURN_IF_ERROR(client_->CallJsonPaginated(
      "GetCostAndUsage", in, "NextPageToken", "NextPageToken", [&](const json& page) {
        for (const auto& r : JsonArray(page, "ResultsByTime")) {
          std::string start, end;
          if (auto tp = r.find("TimePeriod"); tp != r.end()) {
            start = JsonString(*tp, "Start");
            end = JsonString(*tp, "End");
          }
          const bool estimated = JsonBool(r, "Estimated");
          const json& groups = JsonArray(r, "Groups");
          if (input.group_by.empty() || groups.empty()) {
            if (auto t = r.find("Total"); t != r.end() && t->is_object() && !t->empty()) {
              rows.push_back({.start = start,
                              .end = end,
                              .keys = {},
                              .metrics = Metrics(*t),
                              .estimated = estimated});
            }
          }
          for (const auto& g : groups) {
            CostRow row{
                .start = start, .end = end, .keys = {}, .metrics = {}, .estimated = estimated};
            for (const auto& k : JsonArray(g, "Keys")) {
              if (k.is_string()) row.keys.push_back(k.get<std::string>());
            }
            if (auto m = g.find("Metrics"); m != g.end()) row.metrics = Metrics(*m);
            rows.push_back(std::move(row));
          }
        }
        return Status::Ok();
      }));
  return rows;
}

}  // namespace recoup::aws
