// The ledger: every claim with its state, money and deadline, nearest
// deadlines first, with totals per month and per service. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/claims/record.h"
#include "recoup/core/exact.h"

namespace recoup::claims {

struct LedgerRow {
  claims::ClaimRecord claim;
  int64_t days_left = 0;
  bool remind = false;  // unfiled and within the reminder window (or past it)
};

struct LedgerTotal {
  std::string key;  // month "YYYY-MM" or service
  Rational asked, received;
  int64_t claims = 0;
};

struct Ledger {
  std::vector<LedgerRow> rows;  // unfiled first, then open, then closed; by deadline
  std::vector<LedgerTotal> by_month, by_service;
  Rational asked, received;
  int reminder_days = 14;
};

Ledger BuildLedger(std::vector<claims::ClaimRecord> claims, int64_t now_ms, int reminder_days);

std::string RenderLedgerTable(const Ledger& ledger);
std::string RenderLedgerJson(const Ledger& ledger);
std::string RenderLedgerCsv(const Ledger& ledger);

}  // namespace recoup::claims
