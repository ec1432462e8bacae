import BlockcastFormats
import CHDF5

/// How tensor dtypes map to HDF5 types, both ways.
///
/// float16, float32 and float64 are native IEEE floats; integers are standard little-endian
/// integers. bfloat16, the FP8 formats and bool have no HDF5 type, so they are stored as
/// unsigned integers of their width with a string attribute `dtype` naming them. Reading:
/// an integer dataset without the attribute is that integer type (a plain uint16 dataset is
/// `U16`, not bfloat16); an attribute naming an unknown type, or a type of another width or
/// class than the dataset's, is an error.
enum HDF5TypeMapping {
    /// The dtype of a dataset of HDF5 type `type` with `dtype` attribute `tag`.
    static func dtype(
        type: hid_t, tag: String?, tensor: String, file: String
    ) throws(ContainerError) -> DType {
        let size = H5Tget_size(type)
        let stored: DType
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 2: stored = .float16
            case 4: stored = .float32
            case 8: stored = .float64
            default: throw unsupported("a \(size * 8)-bit float", tensor, file)
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): stored = .int8
            case (1, false): stored = .uint8
            case (2, true): stored = .int16
            case (2, false): stored = .uint16
            case (4, true): stored = .int32
            case (4, false): stored = .uint32
            case (8, true): stored = .int64
            case (8, false): stored = .uint64
            default: throw unsupported("a \(size * 8)-bit integer", tensor, file)
            }
        case H5T_ENUM where size == 1 && H5Tget_nmembers(type) == 2:
            // h5py stores numpy bool as a one-byte enum {FALSE, TRUE}.
            stored = .bool
        default:
            throw unsupported("class \(className(H5Tget_class(type)))", tensor, file)
        }
        guard let tag else { return stored }
        return try resolve(tag: tag, stored: stored, tensor: tensor, file: file)
    }

    private static func resolve(
        tag: String, stored: DType, tensor: String, file: String
    ) throws(ContainerError) -> DType {
        guard let named = DType(name: tag) else {
            throw ContainerError(
                .unsupportedType, file: file, tensor: tensor,
                "Dataset '\(tensor)' in '\(file)' has dtype attribute '\(tag)', which is not a "
                    + "known type.")
        }
        if named == stored { return named }
        let carrier = !stored.isFloatingPoint && stored != .bool
        let tagged = named == .bfloat16 || named.isFloat8 || named == .bool
        guard carrier, tagged, named.byteWidth == stored.byteWidth else {
            throw ContainerError(
                .unsupportedType, file: file, tensor: tensor,
                "Dataset '\(tensor)' in '\(file)' is stored as \(stored.hdf5AttributeName) but "
                    + "its dtype attribute says '\(tag)'.")
        }
        return named
    }

    private static func unsupported(
        _ what: String, _ tensor: String, _ file: String
    ) -> ContainerError {
        ContainerError(
            .unsupportedType, file: file, tensor: tensor,
            "Dataset '\(tensor)' in '\(file)' has an unsupported HDF5 type (\(what)); expected "
                + "a float, an integer, or an unsigned integer with a dtype attribute.")
    }

    private static func className(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_STRING: "string"
        case H5T_COMPOUND: "compound"
        case H5T_OPAQUE: "opaque"
        case H5T_BITFIELD: "bitfield"
        case H5T_REFERENCE: "reference"
        case H5T_ENUM: "enum"
        case H5T_VLEN: "variable-length"
        case H5T_ARRAY: "array"
        case H5T_TIME: "time"
        default: "unknown"
        }
    }

    /// A new HDF5 file type for `dtype` (the caller closes it) and the `dtype` attribute to
    /// attach, if the type needs one.
    static func fileType(for dtype: DType) -> (type: hid_t, tag: String?) {
        switch dtype {
        case .float32: return (H5Tcopy(bc_h5t_ieee_f32le()), nil)
        case .float64: return (H5Tcopy(bc_h5t_ieee_f64le()), nil)
        case .float16:
            // IEEE binary16, built the way h5py builds it so numpy sees float16.
            let type = H5Tcopy(bc_h5t_ieee_f32le())
            H5Tset_fields(type, 15, 10, 5, 0, 10)
            H5Tset_size(type, 2)
            H5Tset_ebias(type, 15)
            return (type, nil)
        case .bfloat16: return (H5Tcopy(bc_h5t_std_u16le()), dtype.hdf5AttributeName)
        case .float8E4M3FN, .float8E5M2, .float8E8M0, .bool:
            return (H5Tcopy(bc_h5t_std_u8le()), dtype.hdf5AttributeName)
        case .int8: return (H5Tcopy(bc_h5t_std_i8le()), nil)
        case .uint8: return (H5Tcopy(bc_h5t_std_u8le()), nil)
        case .int16: return (H5Tcopy(bc_h5t_std_i16le()), nil)
        case .uint16: return (H5Tcopy(bc_h5t_std_u16le()), nil)
        case .int32: return (H5Tcopy(bc_h5t_std_i32le()), nil)
        case .uint32: return (H5Tcopy(bc_h5t_std_u32le()), nil)
        case .int64: return (H5Tcopy(bc_h5t_std_i64le()), nil)
        case .uint64: return (H5Tcopy(bc_h5t_std_u64le()), nil)
        }
    }
}
