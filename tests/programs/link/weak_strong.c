/* The other half of weak_main.c: strong definitions that override its weak ones, and a weak
 * definition that its strong one overrides. */
int weak_value(void) { return 100; }
int weak_data = 20;
__attribute__((weak)) int weak_late(void) { return 3; }
int strong_calls_late(void) { return weak_late() + 1; }
