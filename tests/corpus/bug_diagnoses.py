"""The diagnosis each bug of the corpus must get: the ids of the relations (:mod:`autograder.grading.diagnosis_relations`)
that name its actual mistake. ``benchmarks.diagnoses`` counts a failed check as diagnosed only when its relation is
one of these. A bug of another corpus (``tests/corpus/contract_bugs.py``) may carry the same data as an attribute
``diagnoses`` (a tuple of relation ids); a bug with neither counts as undiagnosed.

Bugs the catalog does not detect at all (no check fails) have no entry: they cannot carry a diagnosis.
"""
EXPECTED = {
    "affine_forward.no_reshape": {"unflattened"},
    "affine_backward.db_wrong_axis": {"sum_axes"},
    "affine_backward.dx_not_reshaped": {"reshape"},
    "relu_backward.modifies_cache": {"in_place"},
    "svm_loss.not_averaged": {"scaled"},
    "svm_loss.counts_correct_class": {"offset"},
    "softmax_loss.dx_not_averaged": {"scaled"},
    "batchnorm_forward.ddof1": {"unbiased_variance", "running_statistics"},
    "batchnorm_forward.momentum_swapped": {"running_statistics"},
    "batchnorm_forward.test_uses_batch_stats": {"test_mode"},
    "batchnorm_forward.test_eps_outside_sqrt": {"test_mode"},
    "batchnorm_backward.no_mean_term": {"axis_constant"},
    "batchnorm_backward_alt.dgamma_not_summed": {"missing_sum"},
    "layernorm_forward.axis0": {"stats_axis"},
    "layernorm_backward.batch_axis": {"axis_constant"},
    "spatial_batchnorm_forward.no_transpose": {"reordered"},
    "spatial_batchnorm_forward.running_mean_is_batch_mean": set(),
    "spatial_batchnorm_backward.no_transpose": {"reordered"},
    "spatial_groupnorm_forward.across_groups": {"across_groups"},
    "dropout_forward.p_is_drop": {"keep_probability"},
    "dropout_forward.not_inverted": {"dropout_not_inverted"},
    "dropout_backward.unscaled_mask": {"scaled"},
    "conv_forward_naive.pad_all_dims": {"conv_window"},
    "conv_forward_naive.stride_ignored": {"conv_stride"},
    "conv_forward_naive.unpadded_input": {"conv_window"},
    "conv_backward_naive.negative_pad_slice": {"empty"},
    "conv_backward_naive.dx_keeps_padding": {"padding_kept"},
    "conv_backward_naive.db_wrong_axes": {"sum_axes"},
    "max_pool_backward_naive.whole_window": {"pool_whole_window"},
    "max_pool_backward_naive.overwrites": {"pool_overlaps"},
    "affine_bn_relu_backward.skips_relu": {"skipped_layer", "mask_missing"},  # the ReLU's mask never reaches bn
    "sgd_momentum.sign": {"update_rule"},
    "rmsprop.no_sqrt": {"update_rule"},
    "adam.no_bias_correction": {"update_rule"},
    "adam.t_after_use": {"update_rule", "nonfinite"},
    "TwoLayerNet.reg_one_layer": {"penalty"},
    "FullyConnectedNet.reg_no_half": {"penalty", "reg_gradient"},
    "FullyConnectedNet.last_layer_not_regularized": {"penalty", "reg_gradient"},
    "FullyConnectedNet.ignores_layernorm": {"zero"},
    "FullyConnectedNet.dropout_not_backpropagated": {"mask_missing"},
    "ThreeLayerConvNet.pool_not_halved": {"layer_size"},
    "relu_backward.zeroes_dout": {"in_place"},
}
"""Bug id -> relation ids that name its mistake (an empty set: no relation of the table names it yet)."""
