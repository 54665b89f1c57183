/* Channels and select, each check printing one line:
 * - a pipeline: producer -> square -> sum over unbuffered channels, closed in turn;
 * - a buffered channel: fills without a receiver, drains after close, then ok=0;
 * - ping-pong of a counter between two goroutines over two unbuffered channels;
 * - select with default (nothing ready), then over several channels with senders on each, until
 *   all are closed; a send case in a select;
 * - many senders and receivers on one buffered channel, every value received exactly once;
 * - rt_numgoroutine as goroutines start, block and end.
 * Each receive's return is a short stretch for together.h (its line goes to stderr). */
#include "together.h"

static void producer(void *arg)
{
    rt_chan *out = arg;
    for (long i = 1; i <= 1000; i++)
        rt_chan_send(out, &i);
    rt_chan_close(out);
}

struct stage {
    rt_chan *in, *out;
};

static void square(void *arg)
{
    struct stage *s = arg;
    long v;
    while (rt_chan_recv(s->in, &v))
        v *= v, rt_chan_send(s->out, &v);
    rt_chan_close(s->out);
}

struct pingpong {
    rt_chan *ping, *pong;
    long rounds;
};

static void ponger(void *arg)
{
    struct pingpong *p = arg;
    long v;
    while (rt_chan_recv(p->ping, &v)) {
        v++;
        rt_chan_send(p->pong, &v);
    }
}

static void counted_sender(void *arg)
{
    rt_chan *c = arg;
    for (int i = 0; i < 100; i++) {
        int v = i;
        rt_chan_send(c, &v);
    }
    rt_chan_close(c);
}

static rt_waitgroup many_wg, receivers_wg;
static rt_chan *many;
static unsigned char seen[20000];

static void many_sender(void *arg)
{
    long base = (long)arg;
    for (long i = 0; i < 1000; i++) {
        long v = base * 1000 + i;
        rt_chan_send(many, &v);
    }
    rt_waitgroup_done(&many_wg);
}

static rt_mutex seen_mu;

static void many_receiver(void *arg)
{
    (void)arg;
    long v;
    while (rt_chan_recv(many, &v)) {
        together_end(together_begin());
        rt_mutex_lock(&seen_mu);
        seen[v]++;
        rt_mutex_unlock(&seen_mu);
    }
    rt_waitgroup_done(&receivers_wg);
}

static rt_chan *gate;

static void wait_at_gate(void *arg)
{
    (void)arg;
    rt_chan_recv(gate, 0);
}

int main(void)
{
    /* rt_numgoroutine: main alone, then with five goroutines blocked, then alone again. */
    long alone = rt_numgoroutine();
    gate = rt_chan_make(0, 0);
    for (int i = 0; i < 5; i++)
        rt_go(wait_at_gate, 0);
    long six = rt_numgoroutine();
    rt_chan_close(gate);
    /* They end as soon as they run; wait up to 10 s for that, in 1 ms naps. */
    for (int i = 0; i < 10000 && rt_numgoroutine() > 1; i++)
        rt_sleep(1000000);
    rt_printf("numgoroutine %ld %ld %ld\n", alone, six, (long)rt_numgoroutine());

    /* Pipeline. */
    rt_chan *nums = rt_chan_make(sizeof(long), 0), *squares = rt_chan_make(sizeof(long), 0);
    struct stage st = {nums, squares};
    rt_go(producer, nums);
    rt_go(square, &st);
    long v, sum = 0;
    while (rt_chan_recv(squares, &v))
        sum += v;
    rt_printf("pipeline sum=%ld\n", sum);

    /* Buffered. */
    rt_chan *buf = rt_chan_make(sizeof(int), 3);
    for (int i = 10; i < 13; i++)
        rt_chan_send(buf, &i);
    rt_printf("buffered len=%d\n", (int)rt_chan_len(buf));
    rt_chan_close(buf);
    int x = -1, got = 0, total = 0;
    while (rt_chan_recv(buf, &x))
        got++, total += x;
    rt_printf("buffered got=%d total=%d after_close=%d ok=%d\n", got, total, x, rt_chan_recv(buf, &x));

    /* Ping-pong. */
    struct pingpong pp = {rt_chan_make(sizeof(long), 0), rt_chan_make(sizeof(long), 0), 10000};
    rt_go(ponger, &pp);
    long ball = 0;
    for (long i = 0; i < pp.rounds; i++) {
        rt_chan_send(pp.ping, &ball);
        rt_chan_recv(pp.pong, &ball);
    }
    rt_chan_close(pp.ping);
    rt_printf("pingpong ball=%ld\n", ball);

    /* Select. */
    rt_chan *a = rt_chan_make(sizeof(int), 0), *b = rt_chan_make(sizeof(int), 0);
    int va = 0, vb = 0;
    rt_select_case cases[2] = {{a, RT_RECV, 0, &va}, {b, RT_RECV, 0, &vb}};
    rt_printf("select default=%d\n", rt_select(cases, 2, 0));
    rt_go(counted_sender, a);
    rt_go(counted_sender, b);
    int from_a = 0, from_b = 0, sum_ab = 0, open = 2;
    while (open > 0) {
        int i = rt_select(cases, 2, 1);
        if (!cases[i].ok) {
            cases[i].c = 0; /* a closed channel: stop selecting on it */
            open--;
            continue;
        }
        if (i == 0)
            from_a++, sum_ab += va;
        else
            from_b++, sum_ab += vb;
    }
    rt_printf("select a=%d b=%d sum=%d\n", from_a, from_b, sum_ab);
    rt_chan *c = rt_chan_make(sizeof(int), 1);
    int seven = 7, out = 0;
    rt_select_case send_case[1] = {{c, RT_SEND, 0, &seven}};
    int first = rt_select(send_case, 1, 1), second = rt_select(send_case, 1, 0);
    rt_chan_recv(c, &out);
    rt_printf("select send=%d full=%d value=%d\n", first, second, out);

    /* Many to many: receivers first, then senders; close once every sender is done. */
    many = rt_chan_make(sizeof(long), 16);
    rt_waitgroup_add(&receivers_wg, 4);
    for (int r = 0; r < 4; r++)
        rt_go(many_receiver, 0);
    rt_waitgroup_add(&many_wg, 20);
    for (long s = 0; s < 20; s++)
        rt_go(many_sender, (void *)s);
    rt_waitgroup_wait(&many_wg);
    rt_chan_close(many);
    rt_waitgroup_wait(&receivers_wg);
    int once = 1;
    for (int i = 0; i < 20000; i++)
        once &= seen[i] == 1;
    rt_printf("many once=%d\n", once);
    together_report();
    return 0;
}
