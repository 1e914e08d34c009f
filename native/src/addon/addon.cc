// tsstack_core: the container core's binding. One call, spawnShim, runs `tsstack-runtime shim-create` off the JS
// thread (posix_spawn; it detaches itself and becomes the container's tsstack-shim) and resolves once the container waits to be started, or
// rejects with an Error shaped like Node's fs errors: code ('EINVAL'), errno, syscall (the failing step).
#include <errno.h>
#include <fcntl.h>
#include <napi.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <string>

#include "core/sealed-init.h"


namespace {

struct ShimResult {
  bool ok = false;
  int pid = 0, shimPid = 0, errnum = 0;
  std::string step, message;
};

// One sealed copy of the init (tsstack-shim beside tsstack-runtime) for every container this process starts:
// handed to each creator as fd TS_INIT_FD, so an `init: true` start copies nothing (see sealed-init.h). Made on
// first use; -1 (each creator then copies for itself) when it cannot be made.
int SharedInit(const std::string &runtime) {
  static std::once_flag once;
  static int fd = -1;
  std::call_once(once, [&] {
    std::string shim = runtime.substr(0, runtime.rfind('/') + 1) + "tsstack-shim";
    ts_error err;
    fd = ts_sealed_init(shim.c_str(), &err);
  });
  return fd;
}

ShimResult RunShim(const std::string &shim, const std::string &stateDir, const std::string &config) {
  ShimResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    r.errnum = errno;
    r.step = "spawn";
    r.message = "pipe";
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  int init = SharedInit(shim);
  if (init >= 0) posix_spawn_file_actions_adddup2(&actions, init, TS_INIT_FD);
  const char *argv[] = {shim.c_str(), "shim-create", stateDir.c_str(), config.c_str(), nullptr};
  // None of the agent's environment reaches the creator, the shim or the container process before its exec.
  const char *envp[] = {nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, shim.c_str(), &actions, nullptr, const_cast<char **>(argv), const_cast<char **>(envp));
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    r.errnum = rc;
    r.step = "spawn";
    r.message = "start " + shim;
    return r;
  }
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, (size_t)n);
    if (out.find('\n') != std::string::npos) break;
  }
  close(fds[0]);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (out.rfind("ok ", 0) == 0) {
    r.ok = sscanf(out.c_str(), "ok %d %d", &r.pid, &r.shimPid) == 2;
    if (r.ok) return r;
  }
  if (out.rfind("err ", 0) == 0) {
    size_t sp = out.find(' ', 4), tab = out.find('\t');
    r.errnum = atoi(out.c_str() + 4);
    if (sp != std::string::npos && tab != std::string::npos && tab > sp) {
      r.step = out.substr(sp + 1, tab - sp - 1);
      r.message = out.substr(tab + 1);
      while (!r.message.empty() && r.message.back() == '\n') r.message.pop_back();
      return r;
    }
  }
  r.step = "shim";
  r.message = out.empty() ? "the shim exited without a word" : "unexpected answer from the shim: " + out;
  return r;
}

class SpawnShimWorker : public Napi::AsyncWorker {
 public:
  SpawnShimWorker(Napi::Env env, std::string shim, std::string stateDir, std::string config)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), shim_(std::move(shim)),
        stateDir_(std::move(stateDir)), config_(std::move(config)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { result_ = RunShim(shim_, stateDir_, config_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (result_.ok) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("pid", Napi::Number::New(env, result_.pid));
      o.Set("shimPid", Napi::Number::New(env, result_.shimPid));
      deferred_.Resolve(o);
      return;
    }
    std::string code = result_.errnum ? ErrnoName(result_.errnum) : "EINVAL";
    std::string text = result_.step + ": " + result_.message;
    if (result_.errnum) text += ": " + std::string(strerror(result_.errnum)) + " (" + code + ")";
    Napi::Error err = Napi::Error::New(env, text);
    err.Set("code", Napi::String::New(env, code));
    err.Set("errno", Napi::Number::New(env, result_.errnum));
    err.Set("syscall", Napi::String::New(env, result_.step));
    err.Set("specError", Napi::Boolean::New(env, result_.errnum == 0));
    deferred_.Reject(err.Value());
  }

 private:
  static std::string ErrnoName(int e) {
    const char *name = strerrorname_np(e);
    return name ? name : "E?";
  }

  Napi::Promise::Deferred deferred_;
  std::string shim_, stateDir_, config_;
  ShimResult result_;
};

Napi::Value SpawnShim(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString())
    throw Napi::TypeError::New(env, "spawnShim(shimPath, stateDir, configPath)");
  auto *worker = new SpawnShimWorker(env, info[0].As<Napi::String>(), info[1].As<Napi::String>(),
                                     info[2].As<Napi::String>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnShim", Napi::Function::New(env, SpawnShim));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsstack_core, Init)
