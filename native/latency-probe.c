// latency-probe: an open-loop MQTT 3.1.1/5.0 latency load generator in one thread, for `npm run bench`.
// N publisher and N subscriber connections; pair i uses topic lat/<i>. Message k of the run is due at
// start + k / rate seconds and goes out on publisher k mod N whatever the replies do (open loop), so a
// stall of the broker shows up as latency instead of slowing the schedule down (no coordinated omission).
// Latency is measured from the scheduled send time, and also from the actual one; the probe's own lateness
// against its schedule is reported as scheduleLag. Results: one line of JSON on stdout.
//
//   cc -O2 -Wall -Wextra -o latency-probe native/latency-probe.c
//   latency-probe --port 1883 --pairs 100 --rate 20000 --qos 1 --duration 10 --warmup 2

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------------------------
// Log-linear histogram of nanoseconds (HdrHistogram-like): values below 256 ns exact, above that each power
// of two split into 256 buckets (< 0.4 % error, so about 1 µs or better below 256 µs), up to 2^40 ns.

#define SUB_BUCKET_BITS 8
#define SUB_BUCKET_COUNT (1 << SUB_BUCKET_BITS)
#define HIGHEST_EXPONENT 39
#define BUCKET_COUNT (SUB_BUCKET_COUNT + (HIGHEST_EXPONENT - SUB_BUCKET_BITS + 1) * SUB_BUCKET_COUNT)

typedef struct {
  uint64_t counts[BUCKET_COUNT];
  uint64_t count, minimum, maximum;
  double sum;
} histogram;

static int bucket_index(uint64_t value) {
  if (value < SUB_BUCKET_COUNT) return (int)value;
  int exponent = 63 - __builtin_clzll(value);
  if (exponent > HIGHEST_EXPONENT) return BUCKET_COUNT - 1;
  int shift = exponent - SUB_BUCKET_BITS;
  int mantissa = (int)(value >> shift); // in [256, 511]
  return SUB_BUCKET_COUNT + shift * SUB_BUCKET_COUNT + (mantissa - SUB_BUCKET_COUNT);
}

static uint64_t bucket_lower_bound(int index) {
  if (index < SUB_BUCKET_COUNT) return (uint64_t)index;
  int shift = (index - SUB_BUCKET_COUNT) / SUB_BUCKET_COUNT;
  uint64_t mantissa = SUB_BUCKET_COUNT + (uint64_t)((index - SUB_BUCKET_COUNT) % SUB_BUCKET_COUNT);
  return mantissa << shift;
}

static uint64_t bucket_width(int index) {
  return index < SUB_BUCKET_COUNT ? 1 : (uint64_t)1 << ((index - SUB_BUCKET_COUNT) / SUB_BUCKET_COUNT);
}

static void histogram_record(histogram *h, int64_t signed_value) {
  uint64_t value = signed_value < 0 ? 0 : (uint64_t)signed_value;
  h->counts[bucket_index(value)]++;
  if (h->count == 0 || value < h->minimum) h->minimum = value;
  if (value > h->maximum) h->maximum = value;
  h->count++;
  h->sum += (double)value;
}

// The middle of the bucket holding the rank, clamped to the exact minimum and maximum (the top rank is the maximum).
static double histogram_percentile(const histogram *h, double percent) {
  if (h->count == 0) return 0;
  uint64_t rank = (uint64_t)(percent / 100.0 * (double)h->count + 0.999999);
  if (rank < 1) rank = 1;
  if (rank >= h->count) return (double)h->maximum;
  uint64_t seen = 0;
  for (int index = 0; index < BUCKET_COUNT; index++) {
    seen += h->counts[index];
    if (seen >= rank) {
      double middle = (double)bucket_lower_bound(index) + (double)(bucket_width(index) - 1) / 2.0;
      if (middle > (double)h->maximum) middle = (double)h->maximum;
      if (middle < (double)h->minimum) middle = (double)h->minimum;
      return middle;
    }
  }
  return (double)h->maximum;
}

// ---------------------------------------------------------------------------------------------------------
// Options

typedef struct {
  const char *host;
  const char *port;
  int pairs;
  double rate;
  int qos;
  int payload;
  double duration;
  double warmup;
  double drain;
  int protocol;
  const char *client_prefix;
  int connect_concurrency;
  double spin_microseconds;
  double connect_timeout;
} options;

static const char USAGE[] =
    "usage: latency-probe [--host 127.0.0.1] [--port 1883] [--pairs 100] [--rate 20000] [--qos 0|1]\n"
    "                     [--payload 64] [--duration 10] [--warmup 2] [--drain 2] [--protocol 4|5]\n"
    "                     [--client-prefix probe] [--connect-concurrency 32] [--spin-us 40]\n"
    "                     [--connect-timeout 30]\n";

static void usage_error(const char *message, const char *value) {
  fprintf(stderr, "latency-probe: %s%s%s\n%s", message, value ? ": " : "", value ? value : "", USAGE);
  exit(2);
}

static double number_option(const char *name, const char *text, double minimum, double maximum) {
  char *end;
  errno = 0;
  double value = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || value < minimum || value > maximum) {
    fprintf(stderr, "latency-probe: %s expects a number from %g to %g, got \"%s\"\n", name, minimum, maximum, text);
    exit(2);
  }
  return value;
}

static options parse_options(int argc, char **argv) {
  options o = {"127.0.0.1", "1883", 100, 20000, 1, 64, 10, 2, 2, 4, "probe", 32, 40, 30};
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    if (strcmp(flag, "--help") == 0) {
      fputs(USAGE, stdout);
      exit(0);
    }
    if (i + 1 >= argc) usage_error("missing value for", flag);
    const char *value = argv[++i];
    if (strcmp(flag, "--host") == 0) o.host = value;
    else if (strcmp(flag, "--port") == 0) { number_option(flag, value, 1, 65535); o.port = value; }
    else if (strcmp(flag, "--pairs") == 0) o.pairs = (int)number_option(flag, value, 1, 10000);
    else if (strcmp(flag, "--rate") == 0) o.rate = number_option(flag, value, 1, 10e6);
    else if (strcmp(flag, "--qos") == 0) o.qos = (int)number_option(flag, value, 0, 1);
    else if (strcmp(flag, "--payload") == 0) o.payload = (int)number_option(flag, value, 16, 60000);
    else if (strcmp(flag, "--duration") == 0) o.duration = number_option(flag, value, 0.001, 86400);
    else if (strcmp(flag, "--warmup") == 0) o.warmup = number_option(flag, value, 0, 86400);
    else if (strcmp(flag, "--drain") == 0) o.drain = number_option(flag, value, 0, 3600);
    else if (strcmp(flag, "--protocol") == 0) {
      o.protocol = (int)number_option(flag, value, 4, 5);
    } else if (strcmp(flag, "--client-prefix") == 0) o.client_prefix = value;
    else if (strcmp(flag, "--connect-concurrency") == 0) o.connect_concurrency = (int)number_option(flag, value, 1, 100000);
    else if (strcmp(flag, "--spin-us") == 0) o.spin_microseconds = number_option(flag, value, 0, 1e6);
    else if (strcmp(flag, "--connect-timeout") == 0) o.connect_timeout = number_option(flag, value, 0.1, 3600);
    else usage_error("unknown option", flag);
  }
  if (strlen(o.client_prefix) > 200) usage_error("--client-prefix is longer than 200 bytes", NULL);
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Clock, errors

static int64_t now_nanoseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void fatal(const char *format, ...) {
  va_list arguments;
  va_start(arguments, format);
  fputs("latency-probe: ", stderr);
  vfprintf(stderr, format, arguments);
  fputc('\n', stderr);
  va_end(arguments);
  exit(1);
}

// Distinct run-time problems, each with how often it happened, reported in the JSON "errors" array.
#define MAX_ERRORS 16
static struct { char text[160]; uint64_t count; } errors[MAX_ERRORS];
static int error_kinds;

static void report_error(const char *format, ...) {
  char text[160];
  va_list arguments;
  va_start(arguments, format);
  vsnprintf(text, sizeof text, format, arguments);
  va_end(arguments);
  for (int i = 0; i < error_kinds; i++) {
    if (strcmp(errors[i].text, text) == 0) {
      errors[i].count++;
      return;
    }
  }
  if (error_kinds == MAX_ERRORS) return;
  memcpy(errors[error_kinds].text, text, sizeof text);
  errors[error_kinds++].count = 1;
}

// ---------------------------------------------------------------------------------------------------------
// MQTT encoding (only what the probe sends)

enum {
  CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, SUBSCRIBE = 8, SUBACK = 9, PINGREQ = 12, PINGRESP = 13,
  DISCONNECT = 14,
};

static size_t put_varint(uint8_t *out, size_t value) {
  size_t length = 0;
  do {
    uint8_t byte = value % 128;
    value /= 128;
    out[length++] = byte | (value > 0 ? 0x80 : 0);
  } while (value > 0);
  return length;
}

static size_t put_u16(uint8_t *out, size_t value) {
  out[0] = (uint8_t)(value >> 8);
  out[1] = (uint8_t)value;
  return 2;
}

static size_t put_string(uint8_t *out, const char *text, size_t length) {
  put_u16(out, length);
  memcpy(out + 2, text, length);
  return 2 + length;
}

static void put_u64(uint8_t *out, uint64_t value) { memcpy(out, &value, 8); }
static uint64_t get_u64(const uint8_t *in) {
  uint64_t value;
  memcpy(&value, in, 8);
  return value;
}

#define KEEP_ALIVE_SECONDS 60

static size_t encode_connect(uint8_t *out, const char *client_id, int protocol) {
  uint8_t body[512];
  size_t n = put_string(body, "MQTT", 4);
  body[n++] = (uint8_t)protocol;
  body[n++] = 0x02; // clean session / clean start
  n += put_u16(body + n, KEEP_ALIVE_SECONDS);
  if (protocol == 5) body[n++] = 0; // no properties
  n += put_string(body + n, client_id, strlen(client_id));
  size_t length = 0;
  out[length++] = CONNECT << 4;
  length += put_varint(out + length, n);
  memcpy(out + length, body, n);
  return length + n;
}

static size_t encode_subscribe(uint8_t *out, const char *topic, int qos, int protocol) {
  uint8_t body[256];
  size_t n = put_u16(body, 1);
  if (protocol == 5) body[n++] = 0;
  n += put_string(body + n, topic, strlen(topic));
  body[n++] = (uint8_t)qos;
  size_t length = 0;
  out[length++] = (SUBSCRIBE << 4) | 0x02; // [MQTT-3.8.1-1] reserved flags 0010
  length += put_varint(out + length, n);
  memcpy(out + length, body, n);
  return length + n;
}

// ---------------------------------------------------------------------------------------------------------
// Connections

enum { ROLE_SUBSCRIBER, ROLE_PUBLISHER };
enum { STATE_IDLE, STATE_TCP_CONNECTING, STATE_WAIT_CONNACK, STATE_WAIT_SUBACK, STATE_READY, STATE_CLOSED };

#define IN_CAPACITY (64 * 1024)
#define PUBLISHER_OUT_CAPACITY (256 * 1024)
#define SUBSCRIBER_OUT_CAPACITY (64 * 1024)
// Unacknowledged QoS 1 PUBLISH packets per publisher; packet ids cycle through 1..INFLIGHT_SLOTS.
#define INFLIGHT_SLOTS 16384

typedef struct {
  int fd, role, index, state;
  uint8_t *in;
  size_t in_length;
  uint8_t *out;
  size_t out_start, out_end, out_capacity;
  int watching_output;
  int64_t last_write;
  char topic[32];
  // Publishers: the encoded PUBLISH with zeros where the packet id and the 16 stamped bytes go.
  uint8_t *template;
  size_t template_length, packet_id_offset, stamp_offset;
  uint16_t next_packet_id;
  int64_t *inflight_sent;   // actual send time per slot, 0 = free
  uint8_t *inflight_measured;
} connection;

static options opt;
static int epoll_fd;
static struct addrinfo *address;
static connection *connections; // subscribers 0..pairs-1, publishers pairs..2*pairs-1
static int connection_count, ready_count, next_to_open, opening;

static int64_t start_time;         // when message 0 is due
static uint64_t total_messages;    // messages in warm-up plus measured window
static uint64_t first_measured;    // first message of the measured window
static uint64_t next_message;
static uint8_t *received_bits;     // one bit per message: delivered at least once

static histogram latency_scheduled, latency_actual, puback_latency, schedule_lag;
static uint64_t sent_measured, received_measured, duplicates, received_all, sent_all, skipped;
static uint64_t pubacks_outstanding;
static int sending; // the schedule is running: handle_events sends what falls due between events

// While sending: times the probe was not running when it meant to (a batch of events that took long, a wait
// that returned late), longer than STALL_NANOSECONDS. Many of them point at the machine, not the broker.
#define STALL_NANOSECONDS 100000
static uint64_t stalls, stalls_over_millisecond;
static int64_t stall_maximum, loop_resumed;

static int64_t scheduled_time(uint64_t message) {
  return start_time + (int64_t)((double)message * 1e9 / opt.rate);
}

static void watch(connection *c, int want_output) {
  if (c->state == STATE_CLOSED || c->watching_output == want_output) return;
  struct epoll_event event = {.events = EPOLLIN | (want_output ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event) != 0) fatal("epoll_ctl: %s", strerror(errno));
  c->watching_output = want_output;
}

static void close_connection(connection *c, const char *why) {
  if (c->state == STATE_CLOSED) return;
  if (c->state != STATE_READY) fatal("%s %d: %s before the run started", c->role == ROLE_PUBLISHER ? "publisher" : "subscriber", c->index, why);
  report_error("%s closed: %s", c->role == ROLE_PUBLISHER ? "publisher" : "subscriber", why);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->state = STATE_CLOSED;
}

static void flush(connection *c) {
  while (c->out_start < c->out_end) {
    ssize_t written = write(c->fd, c->out + c->out_start, c->out_end - c->out_start);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_connection(c, strerror(errno));
      return;
    }
    c->out_start += (size_t)written;
  }
  if (c->out_start == c->out_end) c->out_start = c->out_end = 0;
  watch(c, c->out_start < c->out_end);
}

// Room for `length` more bytes at the end of the output buffer, compacting first; NULL when full.
static uint8_t *reserve(connection *c, size_t length) {
  if (c->out_end + length > c->out_capacity && c->out_start > 0) {
    memmove(c->out, c->out + c->out_start, c->out_end - c->out_start);
    c->out_end -= c->out_start;
    c->out_start = 0;
  }
  if (c->out_end + length > c->out_capacity) return NULL;
  return c->out + c->out_end;
}

static void queue_bytes(connection *c, const uint8_t *bytes, size_t length) {
  uint8_t *room = reserve(c, length);
  if (room == NULL) {
    report_error("output buffer full (the broker is not reading)");
    return;
  }
  memcpy(room, bytes, length);
  c->out_end += length;
  c->last_write = now_nanoseconds();
}

static void build_publish_template(connection *c) {
  size_t topic_length = strlen(c->topic);
  size_t body = 2 + topic_length + (opt.qos > 0 ? 2 : 0) + (opt.protocol == 5 ? 1 : 0) + (size_t)opt.payload;
  c->template = calloc(1, body + 5);
  if (c->template == NULL) fatal("out of memory");
  size_t n = 0;
  c->template[n++] = (uint8_t)((PUBLISH << 4) | (opt.qos << 1));
  n += put_varint(c->template + n, body);
  n += put_string(c->template + n, c->topic, topic_length);
  c->packet_id_offset = n;
  if (opt.qos > 0) n += 2;
  if (opt.protocol == 5) c->template[n++] = 0;
  c->stamp_offset = n;
  for (int i = 16; i < opt.payload; i++) c->template[n + (size_t)i] = (uint8_t)('a' + i % 26);
  c->template_length = n + (size_t)opt.payload;
}

static void open_connection(connection *c) {
  int fd = socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fatal("socket: %s", strerror(errno));
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) fatal("TCP_NODELAY: %s", strerror(errno));
  if (connect(fd, address->ai_addr, address->ai_addrlen) != 0 && errno != EINPROGRESS)
    fatal("connect to %s:%s: %s", opt.host, opt.port, strerror(errno));
  c->fd = fd;
  c->state = STATE_TCP_CONNECTING;
  c->watching_output = 1;
  struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) fatal("epoll_ctl: %s", strerror(errno));
  opening++;
}

static void became_ready(connection *c) {
  c->state = STATE_READY;
  ready_count++;
  opening--;
}

static void tcp_connected(connection *c) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) fatal("connect to %s:%s: %s", opt.host, opt.port, strerror(error));
  char client_id[256];
  snprintf(client_id, sizeof client_id, "%s-%s%d", opt.client_prefix, c->role == ROLE_PUBLISHER ? "p" : "s", c->index);
  uint8_t packet[512];
  c->state = STATE_WAIT_CONNACK;
  queue_bytes(c, packet, encode_connect(packet, client_id, opt.protocol));
  flush(c);
}

// ---------------------------------------------------------------------------------------------------------
// Incoming packets

static void on_connack(connection *c, const uint8_t *body, size_t length) {
  if (c->state != STATE_WAIT_CONNACK || length < 2) fatal("unexpected CONNACK");
  if (body[1] != 0) fatal("connection refused by %s:%s: CONNACK %s 0x%02x", opt.host, opt.port, opt.protocol == 5 ? "reason code" : "return code", body[1]);
  if (c->role == ROLE_PUBLISHER) {
    became_ready(c);
    return;
  }
  uint8_t packet[256];
  c->state = STATE_WAIT_SUBACK;
  queue_bytes(c, packet, encode_subscribe(packet, c->topic, opt.qos, opt.protocol));
  flush(c);
}

// Reads a variable byte integer; returns its length in bytes, 0 when incomplete, -1 when malformed.
static int get_varint(const uint8_t *in, size_t available, size_t *value) {
  size_t result = 0, multiplier = 1;
  for (int i = 0; i < 4; i++) {
    if ((size_t)i >= available) return 0;
    result += (size_t)(in[i] & 0x7f) * multiplier;
    multiplier *= 128;
    if ((in[i] & 0x80) == 0) {
      *value = result;
      return i + 1;
    }
  }
  return -1;
}

static void on_suback(connection *c, const uint8_t *body, size_t length) {
  size_t offset = 2;
  if (opt.protocol == 5) {
    size_t properties = 0;
    int n = length > 2 ? get_varint(body + 2, length - 2, &properties) : 0;
    if (n <= 0) fatal("malformed SUBACK");
    offset += (size_t)n + properties;
  }
  if (c->state != STATE_WAIT_SUBACK || offset >= length) fatal("unexpected SUBACK");
  if (body[offset] >= 0x80) fatal("subscription to %s refused: SUBACK 0x%02x", c->topic, body[offset]);
  if (body[offset] < opt.qos) fatal("subscription to %s granted QoS %d, asked %d", c->topic, body[offset], opt.qos);
  became_ready(c);
}

static void on_publish(connection *c, uint8_t flags, const uint8_t *body, size_t length, int64_t received_at) {
  int qos = (flags >> 1) & 3;
  if (length < 2) goto malformed;
  size_t offset = 2 + (((size_t)body[0] << 8) | body[1]);
  uint16_t packet_id = 0;
  if (qos > 0) {
    if (offset + 2 > length) goto malformed;
    packet_id = (uint16_t)((body[offset] << 8) | body[offset + 1]);
    offset += 2;
  }
  if (opt.protocol == 5) {
    size_t properties = 0;
    int n = offset < length ? get_varint(body + offset, length - offset, &properties) : 0;
    if (n <= 0) goto malformed;
    offset += (size_t)n + properties;
  }
  if (qos == 1) {
    uint8_t puback[4] = {PUBACK << 4, 2, (uint8_t)(packet_id >> 8), (uint8_t)packet_id};
    queue_bytes(c, puback, sizeof puback);
  } else if (qos > 1) {
    report_error("QoS %d delivery", qos);
  }
  if (offset + 16 > length) goto malformed;
  uint64_t message = get_u64(body + offset);
  int64_t actual_send = (int64_t)get_u64(body + offset + 8);
  if (message >= total_messages || (int)(message % (uint64_t)opt.pairs) != c->index) {
    report_error("delivery of a message this subscriber did not expect");
    return;
  }
  uint8_t bit = (uint8_t)(1u << (message & 7));
  int measured = message >= first_measured;
  if (received_bits[message >> 3] & bit) {
    if (measured) duplicates++;
    return;
  }
  received_bits[message >> 3] |= bit;
  received_all++;
  if (!measured) return;
  received_measured++;
  histogram_record(&latency_scheduled, received_at - scheduled_time(message));
  histogram_record(&latency_actual, received_at - actual_send);
  return;
malformed:
  report_error("malformed PUBLISH");
}

static void on_puback(connection *c, const uint8_t *body, size_t length, int64_t received_at) {
  if (length < 2) {
    report_error("malformed PUBACK");
    return;
  }
  unsigned packet_id = ((unsigned)body[0] << 8) | body[1];
  if (length >= 3 && body[2] >= 0x80) report_error("PUBACK reason code 0x%02x", body[2]);
  if (packet_id == 0 || packet_id > INFLIGHT_SLOTS || c->inflight_sent[packet_id - 1] == 0) {
    report_error("PUBACK for a packet id not in flight");
    return;
  }
  if (c->inflight_measured[packet_id - 1]) histogram_record(&puback_latency, received_at - c->inflight_sent[packet_id - 1]);
  c->inflight_sent[packet_id - 1] = 0;
  pubacks_outstanding--;
}

static void on_packet(connection *c, uint8_t first, const uint8_t *body, size_t length, int64_t received_at) {
  switch (first >> 4) {
    case CONNACK: on_connack(c, body, length); break;
    case SUBACK: on_suback(c, body, length); break;
    case PUBLISH:
      if (c->role == ROLE_SUBSCRIBER) on_publish(c, first & 0x0f, body, length, received_at);
      else report_error("PUBLISH on a publisher connection");
      break;
    case PUBACK:
      if (c->role == ROLE_PUBLISHER) on_puback(c, body, length, received_at);
      else report_error("PUBACK on a subscriber connection");
      break;
    case PINGRESP: break;
    case DISCONNECT:
      if (c->state != STATE_READY) fatal("%s:%s sent DISCONNECT 0x%02x", opt.host, opt.port, length > 0 ? body[0] : 0);
      report_error("broker sent DISCONNECT 0x%02x", length > 0 ? body[0] : 0);
      break;
    default: report_error("unexpected packet type %d", first >> 4); break;
  }
}

static void on_readable(connection *c) {
  ssize_t n = read(c->fd, c->in + c->in_length, IN_CAPACITY - c->in_length);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    if (c->state != STATE_READY) fatal("%s:%s: %s", opt.host, opt.port, strerror(errno));
    close_connection(c, strerror(errno));
    return;
  }
  if (n == 0) {
    if (c->state != STATE_READY) fatal("%s:%s closed the connection before it was ready (refused?)", opt.host, opt.port);
    close_connection(c, "end of stream");
    return;
  }
  int64_t received_at = now_nanoseconds(); // once per read: every packet in it arrived by now
  c->in_length += (size_t)n;
  size_t offset = 0;
  while (offset + 2 <= c->in_length) {
    size_t remaining;
    int header = get_varint(c->in + offset + 1, c->in_length - offset - 1, &remaining);
    if (header < 0) {
      close_connection(c, "malformed remaining length");
      return;
    }
    if (header == 0 || offset + 1 + (size_t)header + remaining > c->in_length) break;
    on_packet(c, c->in[offset], c->in + offset + 1 + header, remaining, received_at);
    offset += 1 + (size_t)header + remaining;
  }
  if (offset > 0) {
    memmove(c->in, c->in + offset, c->in_length - offset);
    c->in_length -= offset;
  }
  if (c->in_length == IN_CAPACITY) close_connection(c, "packet larger than the input buffer");
  else if (c->out_end > c->out_start) flush(c);
}

// ---------------------------------------------------------------------------------------------------------
// Sending on schedule

static void send_message(uint64_t message) {
  connection *c = &connections[opt.pairs + (int)(message % (uint64_t)opt.pairs)];
  int measured = message >= first_measured;
  if (c->state != STATE_READY) {
    skipped++;
    return;
  }
  unsigned slot = 0;
  if (opt.qos > 0) {
    slot = c->next_packet_id - 1u;
    if (c->inflight_sent[slot] != 0) {
      report_error("more than %d unacknowledged PUBLISH on one connection: message skipped", INFLIGHT_SLOTS);
      skipped++;
      return;
    }
  }
  uint8_t *room = reserve(c, c->template_length);
  if (room == NULL) {
    report_error("publisher output buffer full: message skipped");
    skipped++;
    return;
  }
  memcpy(room, c->template, c->template_length);
  int64_t sent_at = now_nanoseconds();
  if (opt.qos > 0) {
    put_u16(room + c->packet_id_offset, c->next_packet_id);
    c->next_packet_id = c->next_packet_id == INFLIGHT_SLOTS ? 1 : c->next_packet_id + 1;
    c->inflight_sent[slot] = sent_at;
    c->inflight_measured[slot] = (uint8_t)measured;
    pubacks_outstanding++;
  }
  put_u64(room + c->stamp_offset, message);
  put_u64(room + c->stamp_offset + 8, (uint64_t)sent_at);
  c->out_end += c->template_length;
  c->last_write = sent_at;
  sent_all++;
  if (measured) {
    sent_measured++;
    histogram_record(&schedule_lag, sent_at - scheduled_time(message));
  }
  flush(c);
}

static void keep_alive(int64_t now) {
  static const uint8_t pingreq[2] = {PINGREQ << 4, 0};
  for (int i = 0; i < connection_count; i++) {
    connection *c = &connections[i];
    if (c->state == STATE_READY && now - c->last_write > (int64_t)KEEP_ALIVE_SECONDS * 1000000000 / 2) {
      queue_bytes(c, pingreq, sizeof pingreq);
      flush(c);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

static void print_summary(const char *name, const histogram *h) {
  printf("\"%s\":{\"count\":%llu,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f}", name,
         (unsigned long long)h->count, histogram_percentile(h, 50) / 1e3, histogram_percentile(h, 90) / 1e3,
         histogram_percentile(h, 99) / 1e3, histogram_percentile(h, 99.9) / 1e3, (double)h->maximum / 1e3,
         h->count == 0 ? 0.0 : h->sum / (double)h->count / 1e3);
}

static void print_json_error(const char *text, uint64_t count) {
  putchar('"');
  for (const char *p = text; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if ((unsigned char)*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  printf(" (%llu times)\"", (unsigned long long)count);
}

static void print_report(void) {
  uint64_t lost = sent_measured - received_measured;
  printf("{\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"duplicates\":%llu,\"skipped\":%llu,",
         (unsigned long long)sent_measured, (unsigned long long)received_measured, (unsigned long long)lost,
         (unsigned long long)duplicates, (unsigned long long)skipped);
  print_summary("latencyMicroseconds", &latency_scheduled);
  putchar(',');
  print_summary("latencyFromActualSendMicroseconds", &latency_actual);
  putchar(',');
  if (opt.qos > 0) print_summary("pubackMicroseconds", &puback_latency);
  else printf("\"pubackMicroseconds\":null");
  printf(",\"scheduleLagMicroseconds\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}", histogram_percentile(&schedule_lag, 50) / 1e3,
         histogram_percentile(&schedule_lag, 99) / 1e3, (double)schedule_lag.maximum / 1e3);
  printf(",\"probeStalls\":{\"over100Microseconds\":%llu,\"over1Millisecond\":%llu,\"maxMicroseconds\":%.1f}",
         (unsigned long long)stalls, (unsigned long long)stalls_over_millisecond, (double)stall_maximum / 1e3);
  printf(",\"settings\":{\"pairs\":%d,\"rate\":%g,\"qos\":%d,\"payload\":%d,\"duration\":%g,\"warmup\":%g,\"protocol\":%d,\"spinMicroseconds\":%g}",
         opt.pairs, opt.rate, opt.qos, opt.payload, opt.duration, opt.warmup, opt.protocol, opt.spin_microseconds);
  printf(",\"errors\":[");
  for (int i = 0; i < error_kinds; i++) {
    if (i > 0) putchar(',');
    print_json_error(errors[i].text, errors[i].count);
  }
  printf("]}\n");
  fflush(stdout);
}

// Sends every message whose time has come; returns the time it last read.
static int64_t send_due(void) {
  int64_t now = now_nanoseconds();
  while (next_message < total_messages && scheduled_time(next_message) <= now) {
    send_message(next_message++);
    now = now_nanoseconds();
  }
  return now;
}

// ---------------------------------------------------------------------------------------------------------
// Main loop



static void note_stall(int64_t length) {
  if (!sending || length <= STALL_NANOSECONDS) return;
  stalls++;
  if (length > 1000000) stalls_over_millisecond++;
  if (length > stall_maximum) stall_maximum = length;
}

static void handle_events(int timeout_milliseconds, int64_t timeout_nanoseconds) {
  struct epoll_event events[256];
  int count;
  int64_t entered = now_nanoseconds();
  if (loop_resumed != 0) note_stall(entered - loop_resumed);
  if (timeout_nanoseconds >= 0) {
    struct timespec timeout = {.tv_sec = timeout_nanoseconds / 1000000000, .tv_nsec = timeout_nanoseconds % 1000000000};
    count = epoll_pwait2(epoll_fd, events, 256, &timeout, NULL);
  } else {
    count = epoll_wait(epoll_fd, events, 256, timeout_milliseconds);
  }
  loop_resumed = now_nanoseconds();
  if (count == 0 && timeout_nanoseconds >= 0) note_stall(loop_resumed - entered - timeout_nanoseconds);
  if (count < 0) {
    if (errno == EINTR) return;
    fatal("epoll_wait: %s", strerror(errno));
  }
  for (int i = 0; i < count; i++) {
    connection *c = events[i].data.ptr;
    if (c->state == STATE_CLOSED) continue;
    if (c->state == STATE_TCP_CONNECTING) {
      if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) tcp_connected(c);
      continue;
    }
    if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
    if ((events[i].events & EPOLLOUT) && c->state != STATE_CLOSED) flush(c);
    // A batch of events can take longer than the gap between two messages: keep to the schedule meanwhile.
    if (sending) send_due();
  }
}

static void connect_all(void) {
  int64_t deadline = now_nanoseconds() + (int64_t)(opt.connect_timeout * 1e9);
  while (ready_count < connection_count) {
    while (opening < opt.connect_concurrency && next_to_open < connection_count) open_connection(&connections[next_to_open++]);
    handle_events(10, -1);
    if (now_nanoseconds() > deadline) fatal("%d of %d connections ready after %g s", ready_count, connection_count, opt.connect_timeout);
  }
}

static void run_schedule(void) {
  const int64_t spin = (int64_t)(opt.spin_microseconds * 1e3);
  int64_t next_keep_alive = now_nanoseconds() + 1000000000;
  sending = 1;
  while (next_message < total_messages) {
    int64_t now = send_due();
    if (now > next_keep_alive) {
      keep_alive(now);
      next_keep_alive = now + 1000000000;
    }
    if (next_message == total_messages) break;
    // Sleep in the kernel until shortly before the next message is due, then poll without blocking:
    // waking from a timer costs tens of microseconds of jitter that polling does not.
    int64_t until_due = scheduled_time(next_message) - now;
    handle_events(0, until_due > spin ? until_due - spin : 0);
  }
  sending = 0;
}

static void drain(void) {
  int64_t deadline = now_nanoseconds() + (int64_t)(opt.drain * 1e9);
  while (now_nanoseconds() < deadline) {
    if (received_all == sent_all && pubacks_outstanding == 0) return;
    handle_events(10, -1);
  }
}

int main(int argc, char **argv) {
  opt = parse_options(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  // Timer slack (50 µs by default) would make every timed wait that much late.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  int resolved = getaddrinfo(opt.host, opt.port, &hints, &address);
  if (resolved != 0) fatal("cannot resolve %s: %s", opt.host, gai_strerror(resolved));
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) fatal("epoll_create1: %s", strerror(errno));

  connection_count = 2 * opt.pairs;
  connections = calloc((size_t)connection_count, sizeof *connections);
  total_messages = (uint64_t)((opt.warmup + opt.duration) * opt.rate);
  first_measured = (uint64_t)(opt.warmup * opt.rate);
  received_bits = calloc(total_messages / 8 + 1, 1);
  if (connections == NULL || received_bits == NULL) fatal("out of memory");
  for (int i = 0; i < connection_count; i++) {
    connection *c = &connections[i];
    c->role = i < opt.pairs ? ROLE_SUBSCRIBER : ROLE_PUBLISHER;
    c->index = i % opt.pairs;
    snprintf(c->topic, sizeof c->topic, "lat/%d", c->index);
    c->in = malloc(IN_CAPACITY);
    c->out_capacity = c->role == ROLE_PUBLISHER ? PUBLISHER_OUT_CAPACITY : SUBSCRIBER_OUT_CAPACITY;
    c->out = malloc(c->out_capacity);
    if (c->in == NULL || c->out == NULL) fatal("out of memory");
    if (c->role == ROLE_PUBLISHER) {
      build_publish_template(c);
      c->next_packet_id = 1;
      if (opt.qos > 0) {
        c->inflight_sent = calloc(INFLIGHT_SLOTS, sizeof *c->inflight_sent);
        c->inflight_measured = calloc(INFLIGHT_SLOTS, 1);
        if (c->inflight_sent == NULL || c->inflight_measured == NULL) fatal("out of memory");
      }
    }
  }

  connect_all();
  start_time = now_nanoseconds() + 1000000; // 1 ms to settle after the last SUBACK
  run_schedule();
  drain();
  print_report();
  return 0;
}
