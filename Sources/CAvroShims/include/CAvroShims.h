// avro-c's value API is a set of macros over an interface table; Swift cannot call
// macros, so each one used from Swift is re-exported here as a prefixed function.
#ifndef CAVRO_SHIMS_H
#define CAVRO_SHIMS_H
#include <avro.h>

avro_type_t es_avro_value_get_type(const avro_value_t *value);
int es_avro_value_get_boolean(const avro_value_t *value, int *out);
int es_avro_value_get_int(const avro_value_t *value, int32_t *out);
int es_avro_value_get_long(const avro_value_t *value, int64_t *out);
int es_avro_value_get_float(const avro_value_t *value, float *out);
int es_avro_value_get_double(const avro_value_t *value, double *out);
int es_avro_value_get_string(const avro_value_t *value, const char **str, size_t *size);
int es_avro_value_get_bytes(const avro_value_t *value, const void **buf, size_t *size);
int es_avro_value_get_size(const avro_value_t *value, size_t *size);
int es_avro_value_get_by_index(const avro_value_t *value, size_t index, avro_value_t *child, const char **name);
int es_avro_value_get_current_branch(const avro_value_t *value, avro_value_t *branch);
int es_avro_value_get_discriminant(const avro_value_t *value, int *out);
void es_avro_value_iface_decref(avro_value_iface_t *iface);
#endif
