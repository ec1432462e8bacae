#include <cblas.h>

/* OpenBLAS's thread controls, declared here so Swift sees them whatever cblas.h exposes. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
