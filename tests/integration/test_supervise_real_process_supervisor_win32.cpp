// The supervisor in what only Windows has: the handles a stage inherits, and the Job Object
// that takes a stage's whole tree down when the runner lets go of it (as when the runner is
// killed). What every platform shares is in test_supervise_real_process_supervisor.cpp.
#include <windows.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <catch2/catch.hpp>

#include "platform/process_platform.hpp"
#include "supervise/real_process_supervisor.hpp"
#include "support/process_probe.hpp"
#include "support/temp_dir.hpp"

using namespace pipeline;
using namespace pipeline::testing;
namespace fs = std::filesystem;

namespace {

std::string misbehave() {
  return fs::absolute(MISBEHAVE_PATH).generic_string();
}

/// An inheritable handle of this process to a file of its own, as a careless library leaves one.
struct InheritableHandle {
  HANDLE h = INVALID_HANDLE_VALUE;
  explicit InheritableHandle(const fs::path& file) {
    write_file(file, "held by the runner");
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    h = CreateFileW(file.c_str(), GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &inheritable,
                    OPEN_EXISTING, 0, nullptr);
  }
  ~InheritableHandle() {
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  }
  std::string number() const { return std::to_string(reinterpret_cast<std::uintptr_t>(h)); }
};

}  // namespace

TEST_CASE("a stage inherits no handle of the runner, an inheritable one neither",
          "[supervisor][windows]") {
  TempDir dir;
  InheritableHandle held(dir / "runner-file.txt");
  REQUIRE(held.h != INVALID_HANDLE_VALUE);

  SECTION("a plain CreateProcess child gets it: the probe sees a leak") {
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    const fs::path out_file = dir / "control.txt";
    HANDLE out = CreateFileW(out_file.c_str(), GENERIC_WRITE, FILE_SHARE_READ, &inheritable,
                             CREATE_ALWAYS, 0, nullptr);
    REQUIRE(out != INVALID_HANDLE_VALUE);
    STARTUPINFOW startup{};
    startup.cb = sizeof(startup);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdOutput = out;
    startup.hStdError = out;
    std::wstring line = L"misbehave --handle " + std::to_wstring(std::stoull(held.number()));
    PROCESS_INFORMATION info{};
    const BOOL started = CreateProcessW(fs::path(misbehave()).c_str(), line.data(), nullptr,
                                        nullptr, TRUE, 0, nullptr, nullptr, &startup, &info);
    INFO("CreateProcessW error " << GetLastError());
    REQUIRE(started);
    WaitForSingleObject(info.hProcess, INFINITE);
    CloseHandle(info.hThread);
    CloseHandle(info.hProcess);
    CloseHandle(out);
    CHECK_THAT(slurp(out_file), Catch::Contains("runner-file.txt"));
  }

  SECTION("a stage started by the supervisor does not") {
    ProcessSpec spec;
    spec.argv = {misbehave(), "--handle", held.number()};
    spec.cwd = dir.path();
    spec.stdout_log = dir / "out.log";
    spec.stderr_log = dir / "err.log";
    spec.timeout = Millis(60'000);
    spec.grace = Millis(300);
    auto res = RealProcessSupervisor(StopToken{nullptr}).run(spec);
    CHECK(res.exit_code == 0);
    CHECK(slurp(dir / "out.log") == "handle " + held.number() + ": none\n");
  }
}

TEST_CASE("a stage's job kills its whole tree when the runner lets go of it",
          "[supervisor][windows]") {
  TempDir dir;
  boost::asio::io_context ctx;
  boost::asio::readable_pipe out(ctx);
  boost::asio::readable_pipe err(ctx);
  platform::StageProcesses stage;
  const std::string pidfile = (dir / "pids").generic_string();
  auto process = stage.start(
      ctx, misbehave(),
      {"--pidfile", pidfile, "--fork-grandchild", "60000", "--print", "forked", "--sleep", "60000"},
      out, err, dir.path(), {});
  stage.release();
  boost::asio::streambuf line;
  boost::asio::read_until(out, line, "\n");  // the grandchild has recorded itself by now
  const auto pids = read_pids(pidfile);
  REQUIRE(pids.size() == 2);
  std::vector<HANDLE> watched;  // opened first: a process ends some time after its job is gone
  for (long pid : pids) {
    watched.push_back(OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid)));
    REQUIRE(watched.back() != nullptr);
  }
  CHECK(stage.alive());
  stage.close();  // the runner's handle to the job goes, as it does when the runner dies
  process.wait();
  for (HANDLE h : watched) {
    CHECK(WaitForSingleObject(h, 20'000) == WAIT_OBJECT_0);
    CloseHandle(h);
  }
}
