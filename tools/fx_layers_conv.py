"""Layer cases for the ``conv`` and ``pooling`` families."""

import numpy as np
from fixture_utils import keras
from fx_layers import case

L = keras.layers


def _x(rng, *shape):
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)


def conv_cases(rng) -> list:
    """Convolutions, transposed convolutions, cropping, upsampling, zero padding.

    Args:
        rng: Generator for the inputs.
    """
    x1 = _x(rng, 2, 8, 3)
    x2 = _x(rng, 2, 7, 7, 3)
    x2cf = _x(rng, 2, 3, 7, 7)
    x3 = _x(rng, 2, 5, 5, 5, 2)
    x2s = _x(rng, 2, 4, 4, 3)
    x3s = _x(rng, 2, 3, 3, 3, 2)
    return [
        case("conv1d_valid", L.Conv1D(4, 3), x1),
        case("conv1d_same", L.Conv1D(4, 3, padding="same", activation="relu"), x1),
        case("conv1d_causal", L.Conv1D(4, 3, padding="causal"), x1),
        case("conv1d_dilated", L.Conv1D(4, 3, dilation_rate=2, padding="same"), x1),
        case("conv1d_strided", L.Conv1D(4, 3, strides=2), x1),
        case("conv1d_strided_same_even", L.Conv1D(4, 4, strides=3, padding="same"), x1),
        case("conv2d_valid", L.Conv2D(4, 3), x2),
        case("conv2d_same_even_kernel_stride2", L.Conv2D(4, (4, 2), strides=2, padding="same"),
             x2),
        case("conv2d_channels_first", L.Conv2D(4, 3, padding="same",
                                                data_format="channels_first"), x2cf),
        case("conv2d_dilated", L.Conv2D(4, 3, dilation_rate=2), x2),
        case("conv2d_no_bias", L.Conv2D(4, (3, 2), strides=(2, 1), use_bias=False,
                                        activation="tanh"), x2),
        case("conv3d_valid", L.Conv3D(3, 3), x3),
        case("conv3d_same_strided", L.Conv3D(3, (3, 2, 3), strides=2, padding="same"), x3),
        case("separable_conv1d", L.SeparableConv1D(4, 3, padding="same"), x1),
        case("separable_conv2d_dm2", L.SeparableConv2D(4, 3, depth_multiplier=2), x2),
        case("depthwise_conv2d", L.DepthwiseConv2D(3), x2),
        case("depthwise_conv2d_dm2_same_stride2",
             L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2), x2),
        case("conv1d_transpose_stride2", L.Conv1DTranspose(3, 3, strides=2, padding="same"), x1),
        case("conv2d_transpose_stride2_same", L.Conv2DTranspose(3, 3, strides=2, padding="same"),
             x2s),
        case("conv2d_transpose_stride2_valid", L.Conv2DTranspose(3, 3, strides=2), x2s),
        case("conv2d_transpose_output_padding0_same",
             L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=0), x2s),
        case("conv2d_transpose_output_padding1",
             L.Conv2DTranspose(3, (3, 4), strides=(2, 3), output_padding=(1, 2)), x2s),
        case("conv2d_transpose_channels_first",
             L.Conv2DTranspose(2, 3, strides=2, padding="same", data_format="channels_first"),
             _x(rng, 2, 3, 4, 4)),
        case("conv3d_transpose_stride2_same",
             L.Conv3DTranspose(2, 3, strides=2, padding="same"), x3s),
        case("cropping1d", L.Cropping1D((1, 2)), x1),
        case("cropping2d", L.Cropping2D(((1, 2), (0, 1))), x2),
        case("cropping3d", L.Cropping3D(((1, 0), (0, 2), (1, 1))), x3),
        case("upsampling1d", L.UpSampling1D(2), x1),
        case("upsampling2d_nearest", L.UpSampling2D((2, 3)), x2s),
        case("upsampling2d_bilinear", L.UpSampling2D(2, interpolation="bilinear"), x2s),
        case("upsampling3d", L.UpSampling3D((2, 1, 2)), x3s),
        case("zeropadding1d", L.ZeroPadding1D((1, 2)), x1),
        case("zeropadding2d", L.ZeroPadding2D(((1, 2), (2, 0))), x2s),
        case("zeropadding3d", L.ZeroPadding3D(1), x3s),
    ]


def pooling_cases(rng) -> list:
    """Local and global pooling in 1D/2D/3D.

    Args:
        rng: Generator for the inputs.
    """
    x1 = _x(rng, 2, 7, 3)
    x2 = _x(rng, 2, 7, 7, 3)
    x2cf = _x(rng, 2, 3, 7, 7)
    x3 = _x(rng, 2, 5, 5, 5, 2)
    return [
        case("max1d_valid", L.MaxPooling1D(2), x1),
        case("max1d_same_stride2", L.MaxPooling1D(3, strides=2, padding="same"), x1),
        case("avg1d_valid_stride1", L.AveragePooling1D(3, strides=1), x1),
        case("avg1d_same", L.AveragePooling1D(2, padding="same"), x1),
        case("max2d_valid", L.MaxPooling2D((2, 2)), x2),
        case("max2d_same_stride2", L.MaxPooling2D(3, strides=2, padding="same"), x2),
        case("avg2d_valid", L.AveragePooling2D((2, 3), strides=(1, 2)), x2),
        case("avg2d_same_stride2", L.AveragePooling2D(3, strides=2, padding="same"), x2),
        case("max2d_channels_first", L.MaxPooling2D(2, data_format="channels_first"), x2cf),
        case("avg2d_channels_first_same",
             L.AveragePooling2D(2, padding="same", data_format="channels_first"), x2cf),
        case("max3d_valid", L.MaxPooling3D(2), x3),
        case("max3d_same_stride2", L.MaxPooling3D(3, strides=2, padding="same"), x3),
        case("avg3d_valid", L.AveragePooling3D(2, strides=1), x3),
        case("avg3d_same", L.AveragePooling3D(2, padding="same"), x3),
        case("global_max1d", L.GlobalMaxPooling1D(), x1),
        case("global_avg1d", L.GlobalAveragePooling1D(), x1),
        case("global_avg1d_keepdims", L.GlobalAveragePooling1D(keepdims=True), x1),
        case("global_avg1d_channels_first",
             L.GlobalAveragePooling1D(data_format="channels_first"), x1),
        case("global_max2d", L.GlobalMaxPooling2D(), x2),
        case("global_avg2d", L.GlobalAveragePooling2D(), x2),
        case("global_max2d_keepdims", L.GlobalMaxPooling2D(keepdims=True), x2),
        case("global_avg2d_channels_first_keepdims",
             L.GlobalAveragePooling2D(data_format="channels_first", keepdims=True), x2cf),
        case("global_max3d", L.GlobalMaxPooling3D(), x3),
        case("global_avg3d_keepdims", L.GlobalAveragePooling3D(keepdims=True), x3),
    ]


FAMILIES = {"conv": conv_cases, "pooling": pooling_cases}
