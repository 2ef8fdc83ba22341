"""Convolution layers (``keras.layers.convolutional``): convolutions, transposed, depthwise and
separable convolutions, cropping, upsampling and zero-padding."""

from openkeras.layers.convolutional.conv import (
    Conv,
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from openkeras.layers.convolutional.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
    ConvTranspose,
    Deconvolution2D,
    Deconvolution3D,
)
from openkeras.layers.convolutional.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from openkeras.layers.convolutional.separable import (
    DepthwiseConv,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)

__all__ = [
    "Conv", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "ConvTranspose", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "DepthwiseConv", "DepthwiseConv1D",
    "DepthwiseConv2D", "SeparableConv", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D",
]


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "AtrousConv1D": "openkeras.layers.keras1:AtrousConvolution1D",
    "AtrousConv2D": "openkeras.layers.keras1:AtrousConvolution2D",
    "AtrousConvolution1D": "openkeras.layers.keras1:AtrousConvolution1D",
    "AtrousConvolution2D": "openkeras.layers.keras1:AtrousConvolution2D",
    "AveragePooling1D": "openkeras.layers.pooling:AveragePooling1D",
    "AveragePooling2D": "openkeras.layers.pooling:AveragePooling2D",
    "AveragePooling3D": "openkeras.layers.pooling:AveragePooling3D",
    "Deconv2D": "openkeras.layers.convolutional.conv_transpose:Conv2DTranspose",
    "Deconv3D": "openkeras.layers.convolutional.conv_transpose:Conv3DTranspose",
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "Layer": "openkeras.engine.base_layer:Layer",
    "MaxPooling1D": "openkeras.layers.pooling:MaxPooling1D",
    "MaxPooling2D": "openkeras.layers.pooling:MaxPooling2D",
    "MaxPooling3D": "openkeras.layers.pooling:MaxPooling3D",
    "activations": "openkeras.activations",
    "constraints": "openkeras.constraints",
    "conv_utils": "openkeras.utils.conv_utils",
    "initializers": "openkeras.initializers",
    "interfaces": "openkeras.legacy.interfaces",
    "regularizers": "openkeras.regularizers",
    "transpose_shape": "openkeras.utils.generic_utils:transpose_shape",
})
