/* Hidden and protected definitions for hidden_main.c. */
__attribute__((visibility("hidden"))) int hidden_table[4] = {11, 22, 33, 44};

__attribute__((visibility("hidden"), noinline)) int hidden_add(int a, int b) { return a + b; }

__attribute__((visibility("protected"), noinline)) int protected_scale(int x) { return x * hidden_table[3]; }

int visible_via_hidden(int x) { return hidden_add(x, hidden_table[0]); }
