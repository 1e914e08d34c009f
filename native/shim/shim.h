/* tsstack-shim: the per-container supervisor. `create` makes the container, detaches, keeps its stdio in a
 * json-lines log, answers a control socket and records the exit; `exec` runs a process inside a running
 * container. State lives in the container's state dir (see docs/runtime.md). */
#ifndef TS_SHIM_H
#define TS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "core/cgroup.h"
#include "core/error.h"

typedef struct ts_log ts_log;

ts_log *ts_log_open(const char *path, int64_t max_size, int max_file);
/* Appends `len` bytes of `stream`'s output; whole lines become records, a line longer than the buffer is cut
 * into records marked partial. */
void ts_log_feed(ts_log *log, int stream, const char *data, size_t len);
/* Writes out whatever partial line is buffered for every stream. */
void ts_log_flush(ts_log *log);
void ts_log_close(ts_log *log);

int64_t ts_now_ms(void);
/* Writes `content` to `dir`/`name` atomically (temp file + rename). */
int ts_write_file_atomic(const char *dir, const char *name, const char *content);
/* Writes "err <errno> <step>\t<message>\n" to fd. */
void ts_report_error(int fd, const ts_error *err);

long ts_pid_start_time(pid_t pid);
/* Rewrites state.json: status, container pid and start time, this process as the shim, cgroup dirs. */
void ts_write_state(const char *state_dir, const char *status, pid_t pid, const ts_cgroup *cg, int64_t created_at,
                    int64_t started_at);

int ts_shim_create(const char *state_dir, const char *config_path, int result_fd);
int ts_shim_supervise(int argc, char **argv);
int ts_shim_exec(int argc, char **argv);
/* PID 1 of an `init: true` container: argv is -- PROGRAM ARGS... (see init.c). */
int ts_init_main(int argc, char **argv);

#endif
