# One build for the native core. Sources are globbed per folder so each part of native/ grows without
# touching this file:
#   src/core/     container core (namespaces, mounts, cgroups, caps, seccomp) shared by the addon and CLIs
#   src/addon/    node-addon-api bindings (spawn a shim off the JS thread) -> tsstack_core.node
#   src/net/      netlink (links, veth, bridge, vxlan, addrs, routes, fdb, neigh) + its bindings -> tsstack_net.node
#   shim/         per-container supervisor (static, small)       -> tsstack-shim
#   runtime-cli/  creates containers for shims, exec, OCI-style CLI -> tsstack-runtime
#   unpack/       applies image layers confined to their root (openat2, libarchive) -> tsstack-unpack
{
  "target_defaults": {
    "cflags": ["-Wall", "-Wextra", "-O2", "-fno-strict-aliasing"],
    "cflags_c": ["-std=gnu11"],
    "cflags_cc": ["-std=c++17", "-fexceptions"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "defines": ["_GNU_SOURCE"]
  },
  "targets": [
    {
      "target_name": "tsstack_core",
      "sources": ["<!@(sh -c 'ls src/addon/*.cc src/core/sealed-init.c src/core/error.c 2>/dev/null; true')"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "tsstack_net",
      "sources": ["<!@(sh -c 'ls src/net/*.c src/net/*.cc 2>/dev/null; true')"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "libraries": ["<!@(sh -c 'pkg-config --libs libmnl 2>/dev/null || true')"]
    },
    {
      "target_name": "tsstack-shim",
      "type": "executable",
      "sources": ["<!@(sh -c 'ls shim/*.c src/core/error.c src/core/cgroup.c src/core/container-start.c 2>/dev/null; true')"],
      "include_dirs": ["src"],
      "ldflags": ["-static"]
    },
    {
      "target_name": "tsstack-runtime",
      "type": "executable",
      "sources": ["<!@(sh -c 'ls runtime-cli/*.c src/core/*.c shim/util.c shim/state.c 2>/dev/null; true')"],
      "include_dirs": ["src", "shim"],
      "libraries": ["-lseccomp", "-ljson-c", "-lcap"]
    },
    {
      "target_name": "tsstack-unpack",
      "type": "executable",
      "sources": ["<!@(sh -c 'ls unpack/*.c src/core/error.c 2>/dev/null; true')"],
      "include_dirs": ["src", "unpack"],
      "libraries": ["-larchive", "-lnettle", "-ljson-c"]
    }
  ]
}
