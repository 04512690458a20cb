#include "CAvroShims.h"

avro_type_t es_avro_value_get_type(const avro_value_t *value) { return avro_value_get_type(value); }
int es_avro_value_get_boolean(const avro_value_t *value, int *out) { return avro_value_get_boolean(value, out); }
int es_avro_value_get_int(const avro_value_t *value, int32_t *out) { return avro_value_get_int(value, out); }
int es_avro_value_get_long(const avro_value_t *value, int64_t *out) { return avro_value_get_long(value, out); }
int es_avro_value_get_float(const avro_value_t *value, float *out) { return avro_value_get_float(value, out); }
int es_avro_value_get_double(const avro_value_t *value, double *out) { return avro_value_get_double(value, out); }
int es_avro_value_get_string(const avro_value_t *value, const char **str, size_t *size) { return avro_value_get_string(value, str, size); }
int es_avro_value_get_bytes(const avro_value_t *value, const void **buf, size_t *size) { return avro_value_get_bytes(value, buf, size); }
int es_avro_value_get_size(const avro_value_t *value, size_t *size) { return avro_value_get_size(value, size); }
int es_avro_value_get_by_index(const avro_value_t *value, size_t index, avro_value_t *child, const char **name) {
    return avro_value_get_by_index(value, index, child, name);
}
int es_avro_value_get_current_branch(const avro_value_t *value, avro_value_t *branch) {
    return avro_value_get_current_branch(value, branch);
}
void es_avro_value_iface_decref(avro_value_iface_t *iface) { avro_value_iface_decref(iface); }
int es_avro_value_get_discriminant(const avro_value_t *value, int *out) { return avro_value_get_discriminant(value, out); }
