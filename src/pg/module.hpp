// The loadable module: _PG_init and autotime's settings (GUCs).
#pragma once

namespace autotime::pg {

// autotime.capture (superuser-settable, default on): off pauses live capture in the session.
extern bool capture_enabled;

}  // namespace autotime::pg
