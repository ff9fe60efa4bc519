"""SimpleRNN, LSTM, GRU (keras/src/layers/rnn/) and the loop of backend/torch/rnn.py.

Kernels stay in Keras's layout: kernel (in, gates * units), recurrent_kernel (units,
gates * units), gates in Keras's order (LSTM i, f, c, o; GRU z, r, h). GRU's bias is
(2, 3 * units) with reset_after (input and recurrent biases), else (3 * units,).
Input (batch, time, features) -> (batch, units), or (batch, time, units) with
return_sequences; return_state adds the last carried states: [output, h] (and c for an
LSTM), as Keras's RNN returns them. go_backwards reads the sequence from the end and, like
Keras, returns the outputs in that (reversed) order. A mask (Embedding(mask_zero=True)) keeps
the previous state at masked steps and the previous output (zeros with zero_output_for_mask),
as the torch backend's rnn() does.
"""

from __future__ import annotations

import torch

from scen.port.base import Claim, PortLayer, activation_for, as_param, check_plain, refuse

__all__ = ["Recurrent", "BUILDERS"]


class Recurrent(PortLayer):
    takes_mask = True

    def __init__(self, kind, units, kernel, recurrent, bias, act, rec_act, return_sequences,
                 go_backwards, zero_output_for_mask, reset_after, return_state=False):
        super().__init__()
        # return_state: [output, h] (and c for an LSTM), Keras's order (rnn.py, RNN.call)
        self.return_state = return_state
        self.n_outputs = 1 + (1 + (kind == "lstm")) * return_state
        self.kind, self.units = kind, units
        self.kernel, self.recurrent_kernel, self.bias = kernel, recurrent, bias
        self.act, self.rec_act = act, rec_act
        self.return_sequences, self.go_backwards = return_sequences, go_backwards
        self.zero_output_for_mask, self.reset_after = zero_output_for_mask, reset_after

    def _cell(self, x_proj, h, c):
        """One step from the input projection x @ kernel (+ input bias): (h, c)."""
        u = self.units
        if self.kind == "simple":
            return self.act(x_proj + torch.matmul(h, self.recurrent_kernel)), None
        if self.kind == "lstm":
            z = x_proj + torch.matmul(h, self.recurrent_kernel)
            z_i, z_f, z_c, z_o = torch.chunk(z, 4, dim=-1)
            c = self.rec_act(z_f) * c + self.rec_act(z_i) * self.act(z_c)
            return self.rec_act(z_o) * self.act(c), c
        # GRU, gru.py GRUCell.call (implementation 2)
        x_z, x_r, x_h = x_proj[..., :u], x_proj[..., u:2 * u], x_proj[..., 2 * u:]
        if self.reset_after:
            inner = torch.matmul(h, self.recurrent_kernel)
            if self.bias is not None:
                inner = inner + self.bias[1]
        else:
            inner = torch.matmul(h, self.recurrent_kernel[:, :2 * u])
        z = self.rec_act(x_z + inner[..., :u])
        r = self.rec_act(x_r + inner[..., u:2 * u])
        if self.reset_after:
            rec_h = r * inner[..., 2 * u:]
        else:
            rec_h = torch.matmul(r * h, self.recurrent_kernel[:, 2 * u:])
        hh = self.act(x_h + rec_h)
        return z * h + (1 - z) * hh, None

    def forward(self, x, mask=None):
        if self.go_backwards:
            x = torch.flip(x, [1])
            mask = torch.flip(mask, [1]) if mask is not None else None
        x_proj = torch.matmul(x, self.kernel)
        if self.bias is not None:
            x_proj = x_proj + (self.bias[0] if self.kind == "gru" and self.reset_after else self.bias)
        batch = x.shape[0]
        h = x.new_zeros(batch, self.units)
        c = x.new_zeros(batch, self.units) if self.kind == "lstm" else None
        prev = x.new_zeros(batch, self.units)
        outputs = []
        for t in range(x.shape[1]):
            new_h, new_c = self._cell(x_proj[:, t], h, c)
            if mask is None:
                h, c, out = new_h, new_c, new_h
            else:
                m = mask[:, t].unsqueeze(-1)
                out = torch.where(m, new_h, torch.zeros_like(new_h) if self.zero_output_for_mask
                                  else prev)
                h = torch.where(m, new_h, h)
                c = torch.where(m, new_c, c) if c is not None else None
                prev = out
            outputs.append(out)
        out = torch.stack(outputs, dim=1) if self.return_sequences else outputs[-1]
        if self.return_state:  # the last carried states (masked steps keep the carry)
            return (out, h, c) if self.kind == "lstm" else (out, h)
        return out


def _build(kind):
    def build(layer):
        check_plain(layer)
        cell = layer.cell
        if layer.stateful:
            raise refuse(layer, "stateful=True")
        if cell.dropout > 0:
            raise refuse(layer, f"dropout={cell.dropout}")
        if cell.recurrent_dropout > 0:
            raise refuse(layer, f"recurrent_dropout={cell.recurrent_dropout}")
        kernel, recurrent = as_param(cell.kernel), as_param(cell.recurrent_kernel)
        bias = as_param(cell.bias) if cell.bias is not None else None
        rec_act = (activation_for(layer, cell.recurrent_activation, "recurrent_activation")
                   if kind != "simple" else None)
        reset_after = bool(getattr(cell, "reset_after", False))
        m = Recurrent(kind, int(cell.units), kernel, recurrent, bias,
                      activation_for(layer, cell.activation), rec_act,
                      bool(layer.return_sequences), bool(layer.go_backwards),
                      bool(layer.zero_output_for_mask), reset_after, bool(layer.return_state))
        claims = [Claim(cell.kernel, kernel), Claim(cell.recurrent_kernel, recurrent)]
        if bias is not None:
            claims.append(Claim(cell.bias, bias))
        return m, claims
    return build


BUILDERS = {"SimpleRNN": _build("simple"), "LSTM": _build("lstm"), "GRU": _build("gru")}
