"""Keras layers. ``openkeras.layers.X`` is Keras 2's ``keras.layers.X``."""

from openkeras.engine.base_layer import Layer
from openkeras.engine.input_layer import Input, InputLayer
from openkeras.engine.op_layer import OpLambda
from openkeras.layers.advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from openkeras.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from openkeras.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Deconvolution2D,
    Deconvolution3D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from openkeras.layers.convolutional_recurrent import ConvRNN2D
from openkeras.layers.core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from openkeras.layers.cudnn_recurrent import CuDNNGRU, CuDNNLSTM
from openkeras.layers.embeddings import Embedding
from openkeras.layers.keras1 import (
    AtrousConvolution1D,
    AtrousConvolution2D,
    ConvRecurrent2D,
    Highway,
    MaxoutDense,
    Recurrent,
)
from openkeras.layers.local import LocallyConnected1D, LocallyConnected2D
from openkeras.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from openkeras.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from openkeras.layers.normalization import BatchNormalization, LayerNormalization
from openkeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from openkeras.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    ConvLSTM2D,
    ConvLSTM2DCell,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)

# Inception-ResNet-V2 files name CustomScaleLayer; importing it here registers it.
from openkeras.layers.scale import CustomScaleLayer  # noqa: F401
from openkeras.layers.serialization import deserialize, serialize  # noqa: F401
from openkeras.layers.torch_module_wrapper import TorchModuleWrapper
from openkeras.layers.wrappers import Bidirectional, TimeDistributed, Wrapper

# Keras 2's other spellings.
AtrousConv1D = AtrousConvolution1D
AtrousConv2D = AtrousConvolution2D
Deconv2D = Conv2DTranspose
Deconv3D = Conv3DTranspose

__all__ = [name for name in dir() if not name.startswith("_")]


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "activations": "openkeras.activations",
    "constraints": "openkeras.constraints",
    "conv_utils": "openkeras.utils.conv_utils",
    "deserialize_keras_object": "openkeras.utils.generic_utils:deserialize_keras_object",
    "func_dump": "openkeras.utils.generic_utils:func_dump",
    "func_load": "openkeras.utils.generic_utils:func_load",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "initializers": "openkeras.initializers",
    "interfaces": "openkeras.legacy.interfaces",
    "object_list_uid": "openkeras.utils.generic_utils:object_list_uid",
    "regularizers": "openkeras.regularizers",
    "to_list": "openkeras.utils.generic_utils:to_list",
    "transpose_shape": "openkeras.utils.generic_utils:transpose_shape",
})
