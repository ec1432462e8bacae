#ifndef BLOCKCAST_CHDF5_SHIM_H
#define BLOCKCAST_CHDF5_SHIM_H

#include <hdf5/serial/hdf5.h>
#include <hdf5/serial/H5Zpublic.h>

/*
 * HDF5 spells many constants as macros that expand to globals or calls, which Swift cannot
 * import. Each accessor below returns the value the macro names; H5open() runs first so the
 * globals are initialised.
 */

static inline hid_t bc_h5t_native_float(void) { H5open(); return H5T_NATIVE_FLOAT; }
static inline hid_t bc_h5t_native_double(void) { H5open(); return H5T_NATIVE_DOUBLE; }
static inline hid_t bc_h5t_native_int8(void) { H5open(); return H5T_NATIVE_INT8; }
static inline hid_t bc_h5t_native_uint8(void) { H5open(); return H5T_NATIVE_UINT8; }
static inline hid_t bc_h5t_native_int16(void) { H5open(); return H5T_NATIVE_INT16; }
static inline hid_t bc_h5t_native_uint16(void) { H5open(); return H5T_NATIVE_UINT16; }
static inline hid_t bc_h5t_native_int32(void) { H5open(); return H5T_NATIVE_INT32; }
static inline hid_t bc_h5t_native_uint32(void) { H5open(); return H5T_NATIVE_UINT32; }
static inline hid_t bc_h5t_native_int64(void) { H5open(); return H5T_NATIVE_INT64; }
static inline hid_t bc_h5t_native_uint64(void) { H5open(); return H5T_NATIVE_UINT64; }
static inline hid_t bc_h5t_c_s1(void) { H5open(); return H5T_C_S1; }
static inline hid_t bc_h5t_std_u8le(void) { H5open(); return H5T_STD_U8LE; }
static inline hid_t bc_h5t_std_u16le(void) { H5open(); return H5T_STD_U16LE; }
static inline hid_t bc_h5t_std_u32le(void) { H5open(); return H5T_STD_U32LE; }
static inline hid_t bc_h5t_std_u64le(void) { H5open(); return H5T_STD_U64LE; }
static inline hid_t bc_h5t_std_i8le(void) { H5open(); return H5T_STD_I8LE; }
static inline hid_t bc_h5t_std_i16le(void) { H5open(); return H5T_STD_I16LE; }
static inline hid_t bc_h5t_std_i32le(void) { H5open(); return H5T_STD_I32LE; }
static inline hid_t bc_h5t_std_i64le(void) { H5open(); return H5T_STD_I64LE; }
static inline hid_t bc_h5t_ieee_f32le(void) { H5open(); return H5T_IEEE_F32LE; }
static inline hid_t bc_h5t_ieee_f64le(void) { H5open(); return H5T_IEEE_F64LE; }

static inline hid_t bc_h5p_file_access(void) { H5open(); return H5P_FILE_ACCESS; }
static inline hid_t bc_h5p_file_create(void) { H5open(); return H5P_FILE_CREATE; }
static inline hid_t bc_h5p_group_create(void) { H5open(); return H5P_GROUP_CREATE; }
static inline hid_t bc_h5p_dataset_create(void) { H5open(); return H5P_DATASET_CREATE; }
static inline hid_t bc_h5p_dataset_xfer(void) { H5open(); return H5P_DATASET_XFER; }
static inline hid_t bc_h5p_link_create(void) { H5open(); return H5P_LINK_CREATE; }
static inline hid_t bc_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t bc_h5s_all(void) { return H5S_ALL; }
static inline hid_t bc_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t bc_h5p_link_access(void) { H5open(); return H5P_LINK_ACCESS; }

static inline unsigned bc_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned bc_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned bc_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned bc_h5f_acc_excl(void) { return H5F_ACC_EXCL; }

static inline hsize_t bc_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t bc_h5t_variable(void) { return H5T_VARIABLE; }

#endif
