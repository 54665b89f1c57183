/* Functions whose locations tests/internal_link.rs looks up (it finds each by the text of its
 * definition's first line, so keep that text here only). */
static int helper(int x) { return x * x; }

int debug_target(int x)
{
    int y = helper(x) + 1;
    return y * 2;
}
