#pragma once
/// The conditions of a stage's `when` (SPEC 3), each checked on its own just before the stage
/// would start: files, missing, days_of_month, after. decide_stage runs the list; a new kind
/// of condition (a time window, settling, a watermark) is one more entry.

#include <functional>
#include <string>
#include <vector>

#include "core/stage_decision.hpp"

namespace pipeline {

/// What a condition found: whether it holds, and the words the decision's reason uses.
struct Finding {
  bool held = false;
  std::string why;
};

/// One condition. The files condition also gathers the stage's inputs into the result (and
/// its warnings); the others only look.
using Condition = std::function<Finding(const DecisionInputs& in, DecisionResult& out)>;

/// The conditions of a `when`, in the order their findings are reported; `settle` is the
/// stage's (files modified within it are not inputs yet).
std::vector<Condition> conditions_of(const WhenClause& when, Millis settle = {});

}  // namespace pipeline
