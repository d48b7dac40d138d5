/*
 * drop_pages.node: one function for the single executable, dropPages(start, length) -> 0 or an errno.
 *
 * madvise(MADV_DONTNEED) on a range of this process's own mappings: the kernel unmaps its pages from this process
 * (they stay in the page cache, for this process to map again on its next access and for any other). For a private
 * file mapping whose pages were never written that changes nothing but the resident size: a page is read back as it
 * was. A page that was written (copy-on-write: relocations, a debugger's breakpoint) would be LOST, so the caller,
 * src/agent/daemon/resident-pages.ts, passes only read-only private mappings of the executable that /proc/self/smaps
 * shows with no anonymous page at all.
 *
 * Not MADV_PAGEOUT: the kernel reclaims file pages that way only for a process that owns the file or could open it
 * for writing (a guard against a page-cache side channel), which the unit's dynamic user cannot do with
 * /usr/bin/traffic-agent; madvise then returns 0 having done nothing.
 *
 * N-API only (node_api.h, ABI-stable): compiled by scripts/build-agent.mjs with `cc` against the headers of the node
 * that builds, no node-gyp and no network.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <node_api.h>

static napi_value drop_pages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint64_t start = 0, length = 0;
  bool lossless = false;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_bigint_uint64(env, argv[0], &start, &lossless) != napi_ok || !lossless ||
      napi_get_value_bigint_uint64(env, argv[1], &length, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, NULL, "dropPages(start: bigint, length: bigint)");
    return NULL;
  }
  int rc = madvise((void *)(uintptr_t)start, (size_t)length, MADV_DONTNEED) == 0 ? 0 : errno;
  napi_create_int32(env, rc, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "dropPages", NAPI_AUTO_LENGTH, drop_pages, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "dropPages", fn) != napi_ok) return NULL;
  return exports;
}
