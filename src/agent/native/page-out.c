/*
 * page_out.node: one function for the single executable, pageOut(start, length) -> 0 or an errno.
 *
 * madvise(MADV_PAGEOUT) (Linux 5.4) on a range of this process's own mappings: the kernel unmaps the pages only this
 * process maps and reclaims them (clean file pages are simply dropped; anonymous ones would go to swap, or stay when
 * there is none). It never discards data: whatever is paged out is read back on the next access. The caller
 * (src/agent/daemon/resident-pages.ts) names the read-only mappings of the executable, most of whose resident pages
 * only ever served start-up (Node's bootstrap, the parser, the module loader) or are neighbours the kernel's
 * read-ahead mapped in. N-API only (js_native_api.h / node_api.h, ABI-stable): compiled by scripts/build-agent.mjs with
 * `cc` against the headers of the node that builds, no node-gyp and no network.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <node_api.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static napi_value page_out(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint64_t start = 0, length = 0;
  bool lossless = false;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_bigint_uint64(env, argv[0], &start, &lossless) != napi_ok || !lossless ||
      napi_get_value_bigint_uint64(env, argv[1], &length, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, NULL, "pageOut(start: bigint, length: bigint)");
    return NULL;
  }
  int rc = madvise((void *)(uintptr_t)start, (size_t)length, MADV_PAGEOUT) == 0 ? 0 : errno;
  napi_create_int32(env, rc, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "pageOut", NAPI_AUTO_LENGTH, page_out, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "pageOut", fn) != napi_ok) return NULL;
  return exports;
}
