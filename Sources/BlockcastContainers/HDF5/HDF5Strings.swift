import CHDF5

/// Reading and writing scalar string attributes the way h5py does.
enum HDF5Strings {
    /// The value of a scalar string attribute, variable- or fixed-length; nil if not a string.
    static func read(_ attribute: hid_t) -> String? {
        let type = H5Aget_type(attribute)
        guard type >= 0 else { return nil }
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING else { return nil }

        let memoryType = H5Tcopy(bc_h5t_c_s1())
        defer { H5Tclose(memoryType) }
        H5Tset_cset(memoryType, H5Tget_cset(type))
        if H5Tis_variable_str(type) > 0 {
            H5Tset_size(memoryType, bc_h5t_variable())
            var pointer: UnsafeMutablePointer<CChar>? = nil
            guard H5Aread(attribute, memoryType, &pointer) >= 0 else { return nil }
            guard let pointer else { return "" }
            defer { H5free_memory(pointer) }
            return String(cString: pointer)
        }

        let size = H5Tget_size(type)
        H5Tset_size(memoryType, size)
        var buffer = [UInt8](repeating: 0, count: size + 1)
        guard H5Aread(attribute, memoryType, &buffer) >= 0 else { return nil }
        let end = buffer.firstIndex(of: 0) ?? size
        return String(decoding: buffer[..<end], as: UTF8.self)
    }

    /// Attaches a scalar variable-length UTF-8 string attribute (what h5py writes for `str`).
    static func write(_ value: String, name: String, to object: hid_t) -> Bool {
        let type = H5Tcopy(bc_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, bc_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(object, name, type, space, HDF5.defaultList, HDF5.defaultList)
        guard attribute >= 0 else { return false }
        defer { H5Aclose(attribute) }
        return value.withCString { pointer in
            var pointer: UnsafePointer<CChar>? = pointer
            return H5Awrite(attribute, type, &pointer) >= 0
        }
    }
}
