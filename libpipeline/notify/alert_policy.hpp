#pragma once
/// Which alerts a finished run raises (SPEC 9): one `failure` per failure streak (or one per
/// failing run with every_failure), one `recovery` when a streak ends, `success` on request,
/// `stale` when the scheduler missed runs. A pure function of how things stood before the run
/// and the run itself.

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "records/run_history.hpp"

namespace pipeline {

/// The failure streak an alert speaks of: the one this run is part of, or the one it ended.
struct Streak {
  std::string since_run_id;  ///< the streak's first failing run; "" when there is none
  std::string since;         ///< its start (RFC 3339)
  std::size_t failed_runs = 0;
};

struct Alert {
  std::string event;  ///< "failure", "recovery", "success" or "stale"
  Streak streak;
};

/// The alerts `run` raises, given the health of the pipeline before it (RunHealth with the
/// run left out) and how often runs are due (schedule.every, if set). Stale comes first.
std::vector<Alert> alerts_for(const NotifyConfig::On& on, const RunHealth& before,
                              const RunSummary& run, std::optional<Millis> every);

/// The streak `run` leaves the pipeline in (for status and the payload of a failure).
Streak streak_after(const RunHealth& before, const RunSummary& run);

/// True when the previous run started more than 3 x every before `run` did.
bool missed_runs(const RunHealth& before, const RunSummary& run, Millis every);

}  // namespace pipeline
