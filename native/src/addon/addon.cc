// Placeholder binding so the build links before the core lands; replaced by the runtime bindings.
#include <napi.h>

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "0.1.0"));
  return exports;
}

NODE_API_MODULE(tsstack_core, Init)
