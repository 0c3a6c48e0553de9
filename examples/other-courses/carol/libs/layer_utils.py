"""Convenience "sandwich" layers that chain the basic layers of layers.py.

Each sandwich has the same API as a single layer: the forward pass returns (out, cache)
and the backward pass takes (dout, cache) and returns the gradients of all its inputs.
"""
from libs.layers import *


def affine_relu_forward(x, w, b):
    """
    Convenience layer that performs an affine transform followed by a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w, b: Weights of shape (D, M) and biases of shape (M,) for the affine layer

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, M)
    - cache: Object to give to the backward pass
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """
    Backward pass for the affine-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, M)
    - cache: Object from affine_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    """
    Convenience layer that performs an affine transform, batch normalization and a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w, b: Weights of shape (D, M) and biases of shape (M,) for the affine layer
    - gamma, beta: Scale and shift parameters of shape (M,) for batch normalization
    - bn_param: Dictionary of parameters for batchnorm_forward

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, M)
    - cache: Object to give to the backward pass
    """
    out, cache = None, None
    ###########################################################################
    # TODO: Implement the affine - batchnorm - relu forward pass by chaining  #
    # affine_forward, batchnorm_forward and relu_forward. Store the output    #
    # in out and the caches of the three layers in cache.                     #
    ###########################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    a, fc_cache = affine_forward(x, w, b)
    a_bn, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a_bn)
    cache = (fc_cache, bn_cache, relu_cache)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return out, cache


def affine_bn_relu_backward(dout, cache):
    """
    Backward pass for the affine-batchnorm-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, M)
    - cache: Object from affine_bn_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    - dgamma: Gradient with respect to gamma, of shape (M,)
    - dbeta: Gradient with respect to beta, of shape (M,)
    """
    dx, dw, db, dgamma, dbeta = None, None, None, None, None
    ###########################################################################
    # TODO: Implement the backward pass of the affine - batchnorm - relu      #
    # layer by calling the backward passes of the three layers in reverse.    #
    ###########################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    fc_cache, bn_cache, relu_cache = cache
    da_bn = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = batchnorm_backward(da_bn, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dw, db, dgamma, dbeta


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    """
    Convenience layer that performs an affine transform, layer normalization and a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w, b: Weights of shape (D, M) and biases of shape (M,) for the affine layer
    - gamma, beta: Scale and shift parameters of shape (M,) for layer normalization
    - ln_param: Dictionary of parameters for layernorm_forward

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, M)
    - cache: Object to give to the backward pass
    """
    out, cache = None, None
    ###########################################################################
    # TODO: Implement the affine - layernorm - relu forward pass by chaining  #
    # affine_forward, layernorm_forward and relu_forward. Store the output    #
    # in out and the caches of the three layers in cache.                     #
    ###########################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    a, fc_cache = affine_forward(x, w, b)
    a_ln, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(a_ln)
    cache = (fc_cache, ln_cache, relu_cache)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return out, cache


def affine_ln_relu_backward(dout, cache):
    """
    Backward pass for the affine-layernorm-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, M)
    - cache: Object from affine_ln_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    - dgamma: Gradient with respect to gamma, of shape (M,)
    - dbeta: Gradient with respect to beta, of shape (M,)
    """
    dx, dw, db, dgamma, dbeta = None, None, None, None, None
    ###########################################################################
    # TODO: Implement the backward pass of the affine - layernorm - relu      #
    # layer by calling the backward passes of the three layers in reverse.    #
    ###########################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    fc_cache, ln_cache, relu_cache = cache
    da_ln = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = layernorm_backward(da_ln, ln_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dw, db, dgamma, dbeta
