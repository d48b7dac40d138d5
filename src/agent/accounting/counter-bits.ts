/** `counterBits: "auto"`: a 64-bit kernel prints 64-bit counters in /proc/net/dev, a 32-bit one 32-bit counters. */
import type { CounterBits } from './counter-delta.js';

const SIXTY_FOUR = /^(x86_64|amd64|aarch64|arm64|ppc64|ppc64le|s390x|riscv64|loongarch64|mips64|sparc64|alpha|ia64)$/;

export function counterBitsFor(setting: 'auto' | 32 | 64, kernelMachine: string): CounterBits {
  if (setting !== 'auto') return setting;
  return SIXTY_FOUR.test(kernelMachine) ? 64 : 32;
}
