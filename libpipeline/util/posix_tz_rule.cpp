#include "util/posix_tz_rule.hpp"

#include <date/ptz.h>

namespace pipeline {

using std::chrono::seconds;

struct PosixTzRule::Impl {
  Posix::time_zone zone;
};

PosixTzRule::PosixTzRule(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PosixTzRule::~PosixTzRule() = default;

std::shared_ptr<const PosixTzRule> PosixTzRule::parse(const std::string& rule) {
  try {
    return std::shared_ptr<const PosixTzRule>(
        new PosixTzRule(std::make_unique<Impl>(Impl{Posix::time_zone(rule)})));
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::int64_t PosixTzRule::offset_at(std::int64_t unix_seconds) const {
  return impl_->zone.get_info(date::sys_seconds{seconds{unix_seconds}}).offset.count();
}

PosixTzRule::Instants PosixTzRule::instants(std::int64_t local) const {
  const date::local_info info = impl_->zone.get_info(date::local_seconds{seconds{local}});
  Instants out;
  switch (info.result) {
    case date::local_info::unique:
      out.first = local - info.first.offset.count();
      break;
    case date::local_info::ambiguous:
      out.first = local - info.first.offset.count();
      out.second = local - info.second.offset.count();
      break;
    case date::local_info::nonexistent:
      out.first = info.first.end.time_since_epoch().count();  // the transition
      out.gap = true;
      break;
  }
  return out;
}

std::string PosixTzRule::format(std::int64_t unix_seconds, std::string_view fmt) const {
  const date::zoned_time<seconds, const Posix::time_zone*> at{
      &impl_->zone, date::sys_seconds{seconds{unix_seconds}}};
  return date::format(std::string(fmt), at);
}

}  // namespace pipeline
