// The key of one SLA series: (account, Region, service) in one calendar
// month, the unit every verdict, claim and alert is about.
#pragma once

#include <string>

#include "recoup/core/time.h"

namespace recoup::events {

struct SeriesMonth {
  std::string account, region, service;
  YearMonth month;
};

}  // namespace recoup::events
