/* Member A of libarc_ab.a (after B): needs b_value. */
int b_value(int);
int a_value(int x) { return 1000 + b_value(x * 10); }
