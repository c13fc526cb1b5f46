// The loadable module: _PG_init and autotime's settings (GUCs).
#pragma once

namespace autotime::pg {

// autotime.capture (superuser-settable, default on): off pauses live capture in the session.
extern bool capture_enabled;
// autotime.capture_chunk_rows (superuser-settable, default 100,000): a statement that inserts more
// rows is captured that many rows at a time (capture_triggers.cpp).
extern int capture_chunk_rows;

}  // namespace autotime::pg
