// Counts the heap allocations of ferry_microbench: the global operator new is replaced (the
// standard way to observe allocations; no_alloc_test.cc does the same) and OpenSSL is given
// counting allocation functions (its own go to malloc, past operator new). The benchmarks run
// on one thread: a relaxed load and store, not a locked read-modify-write, keep counting cheap.
#include "alloc_counter.h"

#include <openssl/crypto.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

std::atomic<std::uint64_t> g_allocations{0};

void count_one() {
  g_allocations.store(g_allocations.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void* counting_crypto_malloc(std::size_t n, const char*, int) {
  count_one();
  return std::malloc(n);
}
void* counting_crypto_realloc(void* p, std::size_t n, const char*, int) {
  if (p == nullptr) count_one();
  return std::realloc(p, n);
}
void crypto_free(void* p, const char*, int) {
  std::free(p);
}

// OpenSSL accepts new allocation functions only before its first allocation: install them
// before any static initialiser of the benchmarks runs (they compute keys with libcrypto).
__attribute__((constructor(101))) void install_crypto_counting() {
  if (CRYPTO_set_mem_functions(counting_crypto_malloc, counting_crypto_realloc, crypto_free) != 1) {
    std::fputs("ferry_microbench: OpenSSL allocations are not counted\n", stderr);
  }
}

}  // namespace

namespace ferry::bench {
std::uint64_t allocation_count() {
  return g_allocations.load(std::memory_order_relaxed);
}
}  // namespace ferry::bench

void* operator new(std::size_t n) {
  g_allocations.store(g_allocations.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return ::operator new(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
