from libs.classifiers.fc_net import *
