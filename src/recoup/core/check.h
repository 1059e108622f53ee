// Invariant checks. RECOUP_CHECK always aborts with a message; never use it on
// external input (that gets a Status).
#pragma once

#include <cstdio>
#include <cstdlib>

#define RECOUP_CHECK(cond)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
