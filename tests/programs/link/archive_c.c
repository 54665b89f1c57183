/* The only member of libarc_c.a, given before libarc_ab.a on the link line. */
int c_value(int x) { return x * 3; }
