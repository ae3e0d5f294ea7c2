/*
 * pkube-shim: the per-container monitor (like conmon), compiled on first use.
 *
 * Why C: a Python shim costs ~50 ms of interpreter start per container; this costs ~1 ms,
 * which is what lets 100 containers start in well under a second.  shim.py is the
 * behaviour-identical fallback for hosts without a C compiler; keep the two in step.
 *
 * usage: pkube-shim LOG_PATH EXIT_PATH PIDS_PATH STDIN_FIFO|- CWD|- -- ARGV...
 *   environment = the container's environment (passed to the container unchanged)
 *   fd 1        = report pipe: one line "ok SHIM_PID CHILD_PID" or
 *                 "fail SHIM_PID CHILD_PID EXIT_CODE MESSAGE", then closed.
 *
 * The shim forks once so that it is re-parented away from its launcher (no zombies in a
 * long-lived kubelet), starts its own session, starts the container in a new process group
 * (so signals to the container's group never hit the shim), copies the container's stdout
 * and stderr into LOG_PATH in CRI format, and when the container exits kills what is left
 * of its group (as a pid namespace teardown would), drains the pipes and writes EXIT_PATH
 * atomically (tmp + rename).
 *
 * stdin (STDIN_FIFO given, for `stdin: true` containers): the container reads a read-only
 * end of the FIFO, and the shim holds a read-write end (the "keeper") so that the container
 * blocks, rather than reading EOF, while nobody is attached.  SIGUSR1 makes the shim drop
 * the keeper: an attacher that has opened the FIFO for writing sends it for a `stdinOnce`
 * container, so that the container reads EOF when that attacher closes its end (Kubernetes
 * closes such a container's stdin when the first attach ends).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 16384 /* containerd's default maximum log line before a "P" split */

static int sig_pipe[2] = {-1, -1};
static volatile pid_t child_pid = 0;
static volatile sig_atomic_t release_stdin = 0; /* SIGUSR1: drop the stdin keeper */
static int log_fd = -1;

struct stream {
    const char *name;
    int fd;
    size_t len;
    char buf[MAX_LINE];
};

static void on_sigchld(int sig) {
    int saved = errno;
    (void)sig;
    if (write(sig_pipe[1], "c", 1) < 0) { /* pipe full: a wake-up is already pending */ }
    errno = saved;
}

static void on_release_stdin(int sig) {
    int saved = errno;
    (void)sig;
    release_stdin = 1;
    if (write(sig_pipe[1], "u", 1) < 0) { /* pipe full: a wake-up is already pending */ }
    errno = saved;
}

static void on_forward(int sig) {
    if (child_pid > 0) kill(-child_pid, sig);
}

static void rfc3339nano(char *out, size_t n) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%09ldZ", ts.tv_nsec);
}

/* One CRI log entry, written with a single write() so concurrent readers never see half. */
static void emit(const char *stream, char tag, const char *data, size_t len) {
    static char line[MAX_LINE + 96];
    char ts[64];
    rfc3339nano(ts, sizeof ts);
    int head = snprintf(line, sizeof line, "%s %s %c ", ts, stream, tag);
    memcpy(line + head, data, len);
    line[head + len] = '\n';
    size_t total = head + len + 1, off = 0;
    while (off < total) {
        ssize_t w = write(log_fd, line + off, total - off);
        if (w < 0) { if (errno == EINTR) continue; return; }
        off += (size_t)w;
    }
}

/* Read what is available; emit complete lines, split over-long ones with "P". 0 on EOF. */
static int pump(struct stream *s) {
    char tmp[65536];
    ssize_t n = read(s->fd, tmp, sizeof tmp);
    if (n < 0) return (errno == EINTR || errno == EAGAIN) ? 1 : 0;
    if (n == 0) return 0;
    for (ssize_t i = 0; i < n; i++) {
        if (tmp[i] == '\n') {
            emit(s->name, 'F', s->buf, s->len);
            s->len = 0;
        } else {
            if (s->len == MAX_LINE) {
                emit(s->name, 'P', s->buf, s->len);
                s->len = 0;
            }
            s->buf[s->len++] = tmp[i];
        }
    }
    return 1;
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void write_exit(const char *path, int code, int sig, const char *reason, const char *msg) {
    char tmp[4096], when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fprintf(f, "{\"exitCode\": %d, \"signal\": ", code);
    if (sig) fprintf(f, "%d", sig); else fputs("null", f);
    fprintf(f, ", \"finishedAt\": \"%s\"", when);
    if (reason) { fputs(", \"reason\": ", f); json_string(f, reason); }
    if (msg) { fputs(", \"message\": ", f); json_string(f, msg); }
    fputs("}\n", f);
    fclose(f);
    rename(tmp, path);
}

static void write_pids(const char *path, pid_t shim, pid_t child) {
    char tmp[4096], text[64];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return;
    int n = snprintf(text, sizeof text, "%d %d\n", (int)shim, (int)child);
    if (write(fd, text, n) != n) { /* best effort: run.json holds the same facts */ }
    close(fd);
    rename(tmp, path);
}

/* strerror in Go's spelling ("no such file or directory"), as runc's messages have it. */
static const char *go_strerror(int e) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s", strerror(e));
    for (char *p = buf; *p; p++) if (*p >= 'A' && *p <= 'Z') *p += 'a' - 'A';
    return buf;
}

static void report(const char *text) {
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(1, text + off, len - off);
        if (w < 0) { if (errno == EINTR) continue; break; }
        off += (size_t)w;
    }
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) { dup2(devnull, 1); close(devnull); }
}

int main(int argc, char **argv) {
    if (argc < 8 || strcmp(argv[6], "--") != 0) {
        fprintf(stderr, "usage: pkube-shim LOG EXIT PIDS STDIN|- CWD|- -- ARGV...\n");
        return 2;
    }
    const char *log_path = argv[1], *exit_path = argv[2], *pids_path = argv[3];
    const char *stdin_path = argv[4], *cwd = argv[5];
    char **cargv = argv + 7;

    /* Detach from the launcher: it reaps this first process at once, init adopts the shim. */
    pid_t p = fork();
    if (p < 0) { perror("fork"); return 1; }
    if (p > 0) _exit(0);
    setsid();

    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = on_forward;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_release_stdin;
    sigaction(SIGUSR1, &sa, NULL);

    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) { perror(log_path); return 1; }

    int out[2], err[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        return 1;

    /* The keeper: a writer on the FIFO, so that the container's read-only open below does
     * not block and its reads wait for an attacher instead of returning EOF. */
    int keeper = -1;
    if (strcmp(stdin_path, "-") != 0) keeper = open(stdin_path, O_RDWR | O_CLOEXEC);

    pid_t c = fork();
    if (c < 0) { perror("fork"); return 1; }
    if (c == 0) {
        /* The container: own process group, default signal dispositions, piped stdio. */
        setpgid(0, 0);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int in = open(strcmp(stdin_path, "-") ? stdin_path : "/dev/null", O_RDONLY);
        if (in >= 0) dup2(in, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        int what = 0, e = 0;
        if (strcmp(cwd, "-") != 0 && chdir(cwd) < 0) { what = 1; e = errno; }
        if (!what) { execvp(cargv[0], cargv); what = 2; e = errno; }
        int msg[2] = {what, e};
        if (write(errp[1], msg, sizeof msg) < 0) { /* nothing more we can do */ }
        _exit(what == 1 ? 128 : 127);
    }
    setpgid(c, c); /* also here, so the group exists before anyone signals it */
    child_pid = c;
    close(out[1]);
    close(err[1]);
    close(errp[1]);

    /* exec succeeded iff the close-on-exec error pipe closes without data. */
    int msg[2] = {0, 0};
    ssize_t got;
    do { got = read(errp[0], msg, sizeof msg); } while (got < 0 && errno == EINTR);
    close(errp[0]);
    write_pids(pids_path, getpid(), c);

    char line[8192];
    if (got == (ssize_t)sizeof msg) {
        char text[4096];
        int code = 128;
        if (msg[0] == 1)
            snprintf(text, sizeof text, "chdir to cwd (\"%s\") set in config.json failed: %s",
                     cwd, go_strerror(msg[1]));
        else if (msg[1] == ENOENT && !strchr(cargv[0], '/'))
            snprintf(text, sizeof text, "exec: \"%s\": executable file not found in $PATH", cargv[0]);
        else
            snprintf(text, sizeof text, "exec: \"%s\": %s", cargv[0], go_strerror(msg[1]));
        waitpid(c, NULL, 0);
        emit("stderr", 'F', text, strlen(text));
        write_exit(exit_path, code, 0, "StartError", text);
        snprintf(line, sizeof line, "fail %d %d %d %s\n", (int)getpid(), (int)c, code, text);
        report(line);
        return 0;
    }
    snprintf(line, sizeof line, "ok %d %d\n", (int)getpid(), (int)c);
    report(line);

    struct stream so = {"stdout", out[0], 0, {0}}, se = {"stderr", err[0], 0, {0}};
    int open_out = 1, open_err = 1, exited = 0, status = 0;
    struct timespec drain_deadline = {0, 0};
    for (;;) {
        if (!exited) {
            int st;
            pid_t r = waitpid(c, &st, WNOHANG);
            if (r == c) {
                exited = 1;
                status = st;
                kill(-c, SIGKILL); /* leftovers of the container die with it */
                clock_gettime(CLOCK_MONOTONIC, &drain_deadline);
                drain_deadline.tv_sec += 2; /* a process that left the group may hold a pipe */
            }
        }
        if (!open_out && !open_err && exited) break;
        int timeout = -1;
        if (exited) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (drain_deadline.tv_sec - now.tv_sec) * 1000 +
                      (drain_deadline.tv_nsec - now.tv_nsec) / 1000000;
            if (ms <= 0) break;
            timeout = (int)ms;
        }
        struct pollfd fds[3] = {{sig_pipe[0], POLLIN, 0},
                                {open_out ? so.fd : -1, POLLIN, 0},
                                {open_err ? se.fd : -1, POLLIN, 0}};
        int n = poll(fds, 3, timeout);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if (fds[0].revents) { char b[64]; while (read(sig_pipe[0], b, sizeof b) > 0) {} }
        if (release_stdin && keeper >= 0) { close(keeper); keeper = -1; }
        if (fds[1].revents && !pump(&so)) open_out = 0;
        if (fds[2].revents && !pump(&se)) open_err = 0;
    }
    if (so.len) emit("stdout", 'F', so.buf, so.len);
    if (se.len) emit("stderr", 'F', se.buf, se.len);
    if (WIFSIGNALED(status))
        write_exit(exit_path, 128 + WTERMSIG(status), WTERMSIG(status), NULL, NULL);
    else
        write_exit(exit_path, WEXITSTATUS(status), 0, NULL, NULL);
    return 0;
}
