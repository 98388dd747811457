#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
/* Valgrind 3.19 writes into the mask passed to rt_sigsuspend; a caller passing a mask in
   read-only memory then crashes valgrind. Pass a copy on the stack instead. */
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
