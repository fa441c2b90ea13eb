#pragma once
/// One stage of a run: the process spec from its config and this run's values, then attempts
/// through the ProcessSupervisor until one succeeds, the retries are spent, retry_on says no,
/// or a stop is requested (also while waiting out the backoff). Each step is an event.

#include <optional>
#include <string>
#include <vector>

#include "core/run_context.hpp"
#include "core/stage_decision.hpp"

namespace pipeline {

/// A report lists at most this many of a stage's inputs (inputs_count has them all).
inline constexpr std::size_t kReportedInputs = 1000;

/// The inputs a report lists: the first kReportedInputs, relative to root where under it.
std::vector<std::string> reported_inputs(const InputSnapshot& inputs, const fs::path& root);

class StageRunner {
 public:
  /// window: the time window the stage runs for (its events and values say which), or null.
  /// item: the input a `foreach: input` stage runs for (its events say which, its logs are
  /// item-<n>.*.log in the stage_logs given to run), or null.
  explicit StageRunner(RunContext& run, const WindowValue* window = nullptr,
                       const ItemRef* item = nullptr)
      : run_(run), s_(run.s), window_(window), item_(item) {}

  /// Runs the stage on the inputs it was decided with; a stop it meets is left in the context.
  /// The same as the steps below in a row, waiting out each backoff on the clock.
  StageRecord run(const StageConfig& stage, const InputSnapshot& inputs,
                  const PlaceholderValues& run_values, const fs::path& stage_logs);

  // Step by step, for a scheduler that runs several at once (the runner must stay where it
  // is meanwhile: the specs it gives call back into it).

  /// Prepares the stage's record and process spec (its logs folder, its inputs file).
  void begin(const StageConfig& stage, const InputSnapshot& inputs,
             const PlaceholderValues& run_values, const fs::path& stage_logs);
  /// Opens the next attempt (its start event): the spec to run; null when the setup failed,
  /// and then attempt_ended() takes setup_failure().
  const ProcessSpec* next_attempt();
  ProcessResult setup_failure() const;
  /// Records how the attempt ended; returns the backoff before the next attempt (announced),
  /// or nullopt when the stage is done.
  std::optional<Millis> attempt_ended(ProcessResult r);
  /// The stage's record, its metrics event sent.
  StageRecord finish();

 private:
  /// This run's values and a stage's inputs as the placeholders see them.
  struct StageInputs {
    const PlaceholderValues& values;
    const std::vector<std::string>& paths;  ///< the snapshot's, as they are
  };
  ProcessSpec spec_for(const StageConfig& stage, const StageInputs& in, const fs::path& stage_logs,
                       std::string& setup_error);
  /// The backoff after a failed attempt, announced.
  Millis back_off(int attempt, const std::string& why);
  /// Writes a stage's ${inputs_file} into its logs folder, else (logs not writable) under
  /// state; returns where. Throws FileError when neither takes it.
  fs::path write_inputs_file(const StageConfig& stage, const fs::path& stage_logs,
                             const std::vector<std::string>& inputs);
  void warn(const std::string& stage, const std::string& what);
  /// What its log files and inputs file are named after: the stage, or its item.
  std::string log_name(const StageConfig& stage) const;
  /// An event of the stage, with the window it runs for when it has one.
  void emit(const std::string& stage, const char* event, const std::string& msg,
            nlohmann::json data);

  RunContext& run_;
  const OrchestratorServices& s_;
  const WindowValue* window_;
  const ItemRef* item_;
  // The stage under way (begin() to finish()).
  const StageConfig* stage_ = nullptr;
  fs::path logs_;
  ProcessSpec spec_;
  std::string setup_error_;
  StageRecord rec_;
  AttemptRecord current_;
};

}  // namespace pipeline
