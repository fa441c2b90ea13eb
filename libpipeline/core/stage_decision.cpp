#include "core/stage_decision.hpp"

#include "core/conditions.hpp"
#include "util/utf8.hpp"

namespace pipeline {

DecisionResult decide_stage(const StageConfig& stage, const DecisionInputs& in) {
  DecisionResult out;
  if (!stage.when) {
    out.decision = {true, "no conditions: runs every time", {}};
    return out;
  }
  // Every condition is checked, so the reason names each finding; all must hold.
  std::string held;
  std::string failed;
  for (const Condition& condition : conditions_of(*stage.when, stage.settle)) {
    Finding f = condition(in, out);
    std::string& to = f.held ? held : failed;
    to += (to.empty() ? "" : "; ") + f.why;
  }
  out.decision.run = failed.empty();
  out.decision.reason = failed.empty() ? held : failed;
  for (auto& w : out.decision.warnings) w = sanitize_utf8(w);
  if (!out.decision.run) out.inputs = {};
  return out;
}

}  // namespace pipeline
