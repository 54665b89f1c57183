/* Member B of libarc_ab.a (before A): needs c_value, from libarc_c.a. */
int c_value(int);
int b_value(int x) { return 100 + c_value(x + 1); }
